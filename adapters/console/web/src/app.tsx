import { useEffect, useRef, useState } from "preact/hooks";
import { api, endSession, type Session } from "./api";
import { Buckets } from "./buckets";
import { Credentials } from "./credentials";
import { QuotaPage } from "./quota";
import { SignIn } from "./signin";
import { Tokens } from "./tokens";

/** The console's routes under /console/; bucketd answers index.html for each of them. */
const routes = { signIn: "/console/sign-in", buckets: "/console/buckets", apikeys: "/console/apikeys", quota: "/console/quota", tokens: "/console/tokens" } as const;

/** The pages a signed-in person moves between, in the order of the navigation. */
const pages = { buckets: "Buckets", apikeys: "Credentials", quota: "Quota", tokens: "API tokens" } as const;
type Page = keyof typeof pages;

/**
 * The console: the sign-in page until someone is signed in, then the page chosen in the
 * navigation (the bucket list first: buckets, credentials, quota, API tokens). After every
 * page change focus moves to the page's heading, which a screen reader reads out; the live
 * region says what changed within a page (what the list shows, that the person signed out).
 */
export function App() {
  const [session, setSession] = useState<Session>();
  const [announcement, setAnnouncement] = useState("");
  const [page, setPage] = useState<Page>("buckets");
  const first = useRef(true);

  function go(path: string) {
    if (location.pathname !== path) history.replaceState(null, "", path);
  }

  function signedOut(message: string) {
    setSession(undefined);
    setPage("buckets");
    go(routes.signIn);
    setAnnouncement(message);
  }

  useEffect(() => {
    go(session ? routes[page] : routes.signIn);
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById("page-title")?.focus();
  }, [session, page]);

  async function signOut() {
    const s = endSession();
    // A session's refresh token ends it on the server; an API token stays valid and is only forgotten here.
    if (s?.refreshToken) await api.POST("/user/logout", { body: { refresh_token: s.refreshToken } }).catch(() => undefined);
    signedOut("Signed out.");
  }

  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <span class="brand">bucketd console</span>
        {session ? (
          <nav aria-label="Pages">
            {(Object.keys(pages) as Page[]).map((p) => (
              <a key={p} href={routes[p]} aria-current={p === page ? "page" : undefined} onClick={(e) => {
                e.preventDefault();
                setPage(p);
              }}>{pages[p]}</a>
            ))}
          </nav>
        ) : null}
        {session ? (
          <nav aria-label="Account">
            <span class="who">Signed in as {session.who}</span>
            <button type="button" onClick={() => void signOut()}>Sign out</button>
          </nav>
        ) : null}
      </header>
      <p class="visually-hidden" role="status" aria-live="polite">{announcement}</p>
      {!session ? (
        <SignIn
          onSignedIn={setSession}
          onEnded={() => signedOut("The session ended: sign in again.")}
        />
      ) : page === "apikeys" ? (
        <Credentials announce={setAnnouncement} />
      ) : page === "quota" ? (
        <QuotaPage />
      ) : page === "tokens" ? (
        <Tokens announce={setAnnouncement} />
      ) : (
        <Buckets announce={setAnnouncement} />
      )}
    </>
  );
}
