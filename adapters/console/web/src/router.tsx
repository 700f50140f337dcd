// The console's router: the page follows location.pathname, moved by the history API, so each
// page has an address a person can reload, share, or reach with Back and Forward. No dependency:
// a route is a pattern of plain segments and :parameters.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";

/** What every page is given: announce tells the live region what changed within the page. */
export interface PageProps {
  announce: (message: string) => void;
  /**
   * Moves to path and announces message there, ahead of what that page announces first (such
   * as "Bucket deleted." before the list's "3 buckets shown."), so that neither hides the other.
   */
  leave: (path: string, message: string) => void;
  /** The route's :parameters, such as a bucket's id. */
  params: Record<string, string>;
}

/** Where the console's pages live; bucketd answers index.html for every route under it. */
export const base = "/console";

/** The event navigate dispatches, as pushState itself fires none. */
const moved = "console:navigate";

/** Shows path: a new history entry, or a replacement of the current one (a redirect). */
export function navigate(path: string, replace = false): void {
  if (location.pathname === path) return;
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  dispatchEvent(new Event(moved));
}

/** The current path, kept up to date with navigate and with Back and Forward. */
export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    addEventListener("popstate", update);
    addEventListener(moved, update);
    return () => {
      removeEventListener("popstate", update);
      removeEventListener(moved, update);
    };
  }, []);
  return path;
}

/**
 * The parameters of path when it matches pattern (such as "/console/buckets/:id"), or
 * undefined. A trailing slash is ignored; segments are compared exactly.
 */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split("/");
  const got = path.replace(/\/+$/, "").split("/");
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(":")) {
      if (got[i] === "") return undefined;
      params[want[i].slice(1)] = decodeURIComponent(got[i]);
    } else if (want[i] !== got[i]) {
      return undefined;
    }
  }
  return params;
}

/**
 * A link to another page of the console: a real <a href>, so that it can be opened in a new
 * tab or copied, whose plain click moves within the page instead of reloading it.
 */
export function Link({ href, children, class: className, current }: { href: string; children: ComponentChildren; class?: string; current?: boolean }) {
  function follow(event: MouseEvent) {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  }
  return <a href={href} class={className} aria-current={current ? "page" : undefined} onClick={follow}>{children}</a>;
}
