// The console's one way to the server: the SDK generated from openapi.yaml (gen/ts) with
// openapi-fetch, on the console's own origin, like any other client of the public API.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "../../../../gen/ts/schema";

export type Bucket = components["schemas"]["Bucket"];
export type Workspace = components["schemas"]["WorkspaceWithUsers"];

/** A failed call as the console shows it: the API's message and code, or why there was no answer. */
export interface Problem {
  message: string;
  code: string;
  status?: number;
}

/** The client every page uses; the session's token is added to each request by authorize. */
export const api = createClient<paths>({ baseUrl: "" });

/**
 * Who the console acts as: a session from POST /user/login (an access token and the refresh
 * token that renews it), or an API token pasted in. It lives in this module's memory only
 * (docs/security.md): never in localStorage, sessionStorage or a cookie, so a reload or a
 * closed tab signs out.
 */
export interface Session {
  accessToken: string;
  refreshToken?: string;
  /** Whom the console shows as signed in: the email, or "an API token". */
  who: string;
}

let session: Session | undefined;
let ended: (() => void) | undefined;

/** Starts acting as s; onEnded runs when the server refuses it for good (expired or revoked). */
export function startSession(s: Session, onEnded: () => void): void {
  session = s;
  ended = onEnded;
}

/** Forgets the session and returns it, for signing out. */
export function endSession(): Session | undefined {
  const s = session;
  session = undefined;
  ended = undefined;
  refreshing = undefined;
  return s;
}

const authorize: Middleware = {
  onRequest({ request }) {
    if (session) request.headers.set("Authorization", `Bearer ${session.accessToken}`);
    return request;
  },
};
api.use(authorize);

// One refresh at a time: a refresh token is good once, and sending it twice ends the session.
let refreshing: Promise<boolean> | undefined;

/** Renews the session's access token with its refresh token; false when the session is over. */
function renew(): Promise<boolean> {
  const s = session;
  if (!s?.refreshToken) return Promise.resolve(false);
  refreshing ??= api.POST("/user/refresh", { body: { refresh_token: s.refreshToken } }).then(
    ({ data }) => {
      refreshing = undefined;
      if (!data || session !== s) return false;
      s.accessToken = data.accessToken;
      s.refreshToken = data.refreshToken;
      return true;
    },
    () => {
      refreshing = undefined;
      return false;
    },
  );
  return refreshing;
}

/** The body of every error answer (openapi.yaml components.schemas.Error). */
function isErrorBody(body: unknown): body is components["schemas"]["Error"] {
  return typeof body === "object" && body !== null &&
    typeof (body as { message?: unknown }).message === "string" &&
    typeof (body as { code?: unknown }).code === "string";
}

/** What went wrong with a call that answered response with body, for a person to read. */
export function problemOf(body: unknown, response: Response): Problem {
  if (isErrorBody(body)) return { message: body.message, code: body.code, status: response.status };
  return { message: `the server answered ${response.status} ${response.statusText} without an error body`, code: `HTTP_${response.status}`, status: response.status };
}

/** A call that got no answer at all: the server is down, or the network is. */
export function unreachable(err: unknown): Problem {
  return { message: `bucketd did not answer: ${err instanceof Error ? err.message : String(err)}`, code: "NETWORK_ERROR" };
}

export type Answer<T> = { data?: T; error?: unknown; response: Response };

/**
 * Runs one API call and returns its data, or the Problem to show. A session's expired access
 * token is renewed once and the call repeated; when the server refuses the session for good,
 * its end is announced (startSession's onEnded).
 */
export async function call<T>(request: () => Promise<Answer<T>>): Promise<{ data: T } | { problem: Problem }> {
  try {
    let answer = await request();
    if (answer.response.status === 401 && session) {
      const onEnded = ended;
      if (await renew()) answer = await request();
      else onEnded?.();
    }
    const { data, error, response } = answer;
    if (data !== undefined && response.ok) return { data };
    return { problem: problemOf(error, response) };
  } catch (err) {
    return { problem: unreachable(err) };
  }
}

export type ApiKey = components["schemas"]["ApiKey"];
export type Report = components["schemas"]["ValidationResult"];
export type CreateBucket = components["schemas"]["CreateBucketRequest"];

/**
 * A new Idempotency-Key: 128 random bits in hex. crypto.getRandomValues, unlike
 * crypto.randomUUID, works on a page served over plain http from another host too.
 */
export function idempotencyKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}
