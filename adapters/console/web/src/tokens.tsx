import { useEffect, useState } from "preact/hooks";
import type { components } from "../../../../gen/ts/schema";
import { api, call, type Problem } from "./api";
import { ProblemView } from "./problem";

type Token = components["schemas"]["TokenInfo"];

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A time of a token's history, or a dash for one that did not happen. */
function When({ at }: { at: string | undefined }) {
  return at ? <time dateTime={at}>{dateTime.format(new Date(at))}</time> : <span class="none">never</span>;
}

/**
 * The API tokens page: the caller's own tokens (GET /token), ids and history only, and their
 * revocation (DELETE /token/{id}). The API issues tokens only through the administration
 * command, so the page says how; the token itself is printed once, by that command.
 */
export function Tokens({ announce }: { announce: (message: string) => void }) {
  const [tokens, setTokens] = useState<Token[]>();
  const [problem, setProblem] = useState<Problem>();

  async function load() {
    const answer = await call(() => api.GET("/token"));
    if ("problem" in answer) setProblem(answer.problem);
    else setTokens(answer.data.tokens);
  }

  useEffect(() => {
    void load();
  }, []);

  async function revoke(id: string) {
    setProblem(undefined);
    const answer = await call(() => api.DELETE("/token/{tokenId}", { params: { path: { tokenId: id } } }));
    if ("problem" in answer) {
      setProblem(answer.problem);
      return;
    }
    await load();
    announce(`The token ${id} was revoked.`);
  }

  return (
    <main id="main" aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>API tokens</h1>
      <p class="help">
        An API token signs a program in as you. bucketd issues them with its administration command, which prints the
        token once: <code>bucketd admin token create --email you@example.com</code>. This page lists your tokens (never
        the tokens themselves) and revokes them; a revoked token is refused at its next request.
      </p>
      <ProblemView problem={problem} title="The request failed" />
      {tokens === undefined ? (
        problem ? null : <p aria-busy="true">Loading tokens…</p>
      ) : tokens.length === 0 ? (
        <p>You have no API tokens.</p>
      ) : (
        <table class="buckets tokens">
          <caption class="visually-hidden">Your API tokens</caption>
          <thead>
            <tr>
              {["Token id", "State", "Created", "Expires", "Last used", "Revoked", "Action"].map((c) => <th key={c} scope="col">{c}</th>)}
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id}>
                <th scope="row" data-label="Token id"><code>{t.id}</code></th>
                <td data-label="State"><span class={`badge badge-${t.state === "ACTIVE" ? "online" : "unknown"}`}>{t.state}</span></td>
                <td data-label="Created"><When at={t.createdAt} /></td>
                <td data-label="Expires"><When at={t.expiresAt} /></td>
                <td data-label="Last used"><When at={t.lastUsedAt} /></td>
                <td data-label="Revoked"><When at={t.revokedAt} /></td>
                <td data-label="Action">
                  {t.state === "ACTIVE" ? (
                    <button type="button" class="danger" aria-label={`Revoke token ${t.id}`} onClick={() => void revoke(t.id)}>Revoke</button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
