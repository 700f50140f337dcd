import type { FunctionComponent } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, endSession, type Session } from "./api";
import { BucketPage } from "./bucket";
import { Buckets } from "./buckets";
import { Credentials } from "./credentials";
import { QuotaPage } from "./quota";
import { RegisterBucket } from "./register";
import { base, Link, match, navigate, type PageProps, usePath } from "./router";
import { SignIn } from "./signin";
import { Tokens } from "./tokens";

const signInPath = `${base}/sign-in`;
const home = `${base}/buckets`;

/** The pages of a signed-in person, one route per line; the first that matches is shown. */
const pages: [string, FunctionComponent<PageProps>][] = [
  [`${base}/buckets`, Buckets],
  [`${base}/buckets/new`, RegisterBucket],
  [`${base}/buckets/:id`, BucketPage],
  [`${base}/apikeys`, Credentials],
  [`${base}/quota`, QuotaPage],
  [`${base}/tokens`, Tokens],
];

/** The navigation between the signed-in pages, in its order. */
const sections: [string, string][] = [
  [`${base}/buckets`, "Buckets"],
  [`${base}/apikeys`, "Credentials"],
  [`${base}/quota`, "Quota"],
  [`${base}/tokens`, "API tokens"],
];

/** The page for path and its parameters, or undefined when no page has that address. */
function pageOf(path: string): [FunctionComponent<PageProps>, Record<string, string>] | undefined {
  for (const [pattern, render] of pages) {
    const params = match(pattern, path);
    if (params) return [render, params];
  }
  return undefined;
}

/**
 * The console: the sign-in page until someone is signed in, then the page the address names
 * (the bucket list by default). After every page change focus moves to the page's heading,
 * which a screen reader reads out; the live region says what changed within a page.
 */
export function App() {
  const [session, setSession] = useState<Session>();
  const [announcement, setAnnouncement] = useState("");
  const path = usePath();
  // The page asked for before signing in, shown once signed in.
  const wanted = useRef(pageOf(location.pathname) ? location.pathname : home);
  const first = useRef(true);
  // What leave announced, for the first announcement of the page it moved to.
  const arrival = useRef<{ path: string; message: string } | undefined>(undefined);

  function announce(message: string) {
    const a = arrival.current;
    arrival.current = undefined;
    setAnnouncement(a?.path === location.pathname ? `${a.message} ${message}` : message);
  }

  function leave(to: string, message: string) {
    arrival.current = { path: to, message };
    setAnnouncement(message);
    navigate(to);
  }

  function signedOut(message: string) {
    setSession(undefined);
    wanted.current = home;
    announce(message);
  }

  useEffect(() => {
    if (!session) navigate(signInPath, true);
    else if (!pageOf(path)) navigate(path === signInPath ? wanted.current : home, true);
  }, [session, path]);

  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById("page-title")?.focus();
  }, [session, path]);

  async function signOut() {
    const s = endSession();
    // A session's refresh token ends it on the server; an API token stays valid and is only forgotten here.
    if (s?.refreshToken) await api.POST("/user/logout", { body: { refresh_token: s.refreshToken } }).catch(() => undefined);
    signedOut("Signed out.");
  }

  const page = session ? pageOf(path) : undefined;
  const Page = page?.[0];
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <span class="brand">bucketd console</span>
        {session ? (
          <nav aria-label="Pages">
            {sections.map(([href, label]) => (
              <Link key={href} href={href} current={path === href || path.startsWith(`${href}/`)}>{label}</Link>
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
      {Page && page ? (
        <Page key={path} announce={announce} leave={leave} params={page[1]} />
      ) : session ? null : (
        <SignIn
          onSignedIn={setSession}
          onEnded={() => signedOut("The session ended: sign in again.")}
        />
      )}
    </>
  );
}
