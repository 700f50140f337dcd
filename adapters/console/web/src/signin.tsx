import { useState } from "preact/hooks";
import { api, call, endSession, type Problem, type Session, startSession } from "./api";
import { ProblemView } from "./problem";

/**
 * The sign-in page: a person's email and password (POST /user/login), or an API token pasted
 * in, checked by listing the workspaces it may see before it is used.
 */
export function SignIn({ onSignedIn, onEnded }: { onSignedIn: (s: Session) => void; onEnded: () => void }) {
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);

  async function withPassword(event: SubmitEvent) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setBusy(true);
    setProblem(undefined);
    const email = String(form.get("email") ?? "");
    const answer = await call(() => api.POST("/user/login", { body: { email, password: String(form.get("password") ?? "") } }));
    setBusy(false);
    if ("problem" in answer) {
      setProblem(answer.problem);
      return;
    }
    const s: Session = { accessToken: answer.data.accessToken, refreshToken: answer.data.refreshToken, who: answer.data.user.email };
    startSession(s, onEnded);
    onSignedIn(s);
  }

  async function withToken(event: SubmitEvent) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const s: Session = { accessToken: String(form.get("token") ?? "").trim(), who: "an API token" };
    setBusy(true);
    setProblem(undefined);
    // Tried before it is kept: a refused token leaves the console signed out.
    startSession(s, () => {});
    const answer = await call(() => api.GET("/workspace"));
    setBusy(false);
    if ("problem" in answer) {
      endSession();
      setProblem(answer.problem);
      return;
    }
    startSession(s, onEnded);
    onSignedIn(s);
  }

  return (
    <main id="main" aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>Sign in to bucketd</h1>
      <ProblemView problem={problem} title="Sign-in failed" />
      <div class="signin">
        <form class="card" onSubmit={withPassword} aria-labelledby="password-title">
          <h2 id="password-title">With your email and password</h2>
          <label for="email">Email</label>
          <input id="email" name="email" type="email" autocomplete="username" required />
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required />
          <button type="submit" disabled={busy}>Sign in</button>
        </form>
        <form class="card" onSubmit={withToken} aria-labelledby="token-title">
          <h2 id="token-title">With an API token</h2>
          <label for="token">API token</label>
          <input id="token" name="token" type="password" autocomplete="off" spellcheck={false} required aria-describedby="token-help" />
          <p id="token-help" class="help">A token from <code>bucketd admin token create</code> or POST /token. It is kept in this tab's memory only.</p>
          <button type="submit" disabled={busy}>Use token</button>
        </form>
      </div>
    </main>
  );
}
