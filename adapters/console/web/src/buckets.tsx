import { useEffect, useState } from "preact/hooks";
import { api, type Bucket, call, type Problem, type Workspace } from "./api";
import { ProblemView } from "./problem";
import { base, Link, type PageProps } from "./router";


const allWorkspaces = "";

/**
 * The bucket list of the chosen workspace (GET /bucket), with the workspace switcher
 * (GET /workspace). announce tells the live region what changed.
 */
export function Buckets({ announce }: PageProps) {
  const [workspaces, setWorkspaces] = useState<Workspace[]>([]);
  const [workspaceId, setWorkspaceId] = useState(allWorkspaces);
  const [buckets, setBuckets] = useState<Bucket[]>();
  const [next, setNext] = useState<string>();
  const [problem, setProblem] = useState<Problem>();
  const [loading, setLoading] = useState(false);

  useEffect(() => {
    void call(() => api.GET("/workspace")).then((answer) => {
      if ("problem" in answer) setProblem(answer.problem);
      else setWorkspaces(answer.data.workspaces);
    });
  }, []);

  async function load(cursor?: string) {
    setLoading(true);
    setProblem(undefined);
    const answer = await call(() => api.GET("/bucket", { params: { query: { workspaceId, ...(cursor ? { cursor } : {}) } } }));
    setLoading(false);
    if ("problem" in answer) {
      setProblem(answer.problem);
      announce("The buckets could not be loaded.");
      return;
    }
    const page = answer.data.buckets;
    const shown = cursor ? [...(buckets ?? []), ...page] : page;
    setBuckets(shown);
    setNext(answer.data.nextCursor);
    announce(`${shown.length} ${shown.length === 1 ? "bucket" : "buckets"} shown${answer.data.nextCursor ? ", more to load" : ""}.`);
  }

  useEffect(() => {
    void load();
  }, [workspaceId]);

  return (
    <main id="main" aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>Buckets</h1>
      <div class="toolbar">
        <label for="workspace">Workspace</label>
        <select id="workspace" value={workspaceId} onChange={(e) => setWorkspaceId((e.currentTarget as HTMLSelectElement).value)}>
          <option value={allWorkspaces}>All workspaces</option>
          {workspaces.map((w) => (
            <option key={w.id} value={w.id}>{w.name}</option>
          ))}
        </select>
        <button type="button" onClick={() => void load()} disabled={loading}>Refresh</button>
        <Link href={`${base}/buckets/new`} class="button-link">Register a bucket</Link>
      </div>
      <ProblemView problem={problem} title="The request failed" />
      {buckets === undefined ? (
        <p aria-busy="true">Loading buckets…</p>
      ) : buckets.length === 0 ? (
        <p>No buckets in {workspaceId === allWorkspaces ? "any workspace" : "this workspace"} yet.</p>
      ) : (
        <BucketTable buckets={buckets} />
      )}
      {next ? (
        <button type="button" onClick={() => void load(next)} disabled={loading}>Load more</button>
      ) : null}
    </main>
  );
}

const columns = ["Name", "Provider", "Bucket", "Region", "Status", "Key hint", "Secret fingerprint"];

/** The buckets as a table; on a narrow screen each row becomes a card (styles.css). */
function BucketTable({ buckets }: { buckets: Bucket[] }) {
  return (
    <table class="buckets">
      <caption class="visually-hidden">Registered buckets</caption>
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c} scope="col">{c}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {buckets.map((b) => (
          <tr key={b.id}>
            <th scope="row" data-label="Name"><Link href={`${base}/buckets/${b.id}`}>{b.name}</Link></th>
            <td data-label="Provider">{b.storageType}</td>
            <td data-label="Bucket"><code>{b.bucket}</code></td>
            <td data-label="Region">{b.region || <span class="none">none</span>}</td>
            <td data-label="Status"><Status bucket={b} /></td>
            <td data-label="Key hint"><code>{b.keyHint}</code></td>
            <td data-label="Secret fingerprint">{b.secretFingerprint ? <code>{b.secretFingerprint}</code> : <span class="none">none</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

/** The status badge, when it was last checked, and what the check said when the server tells. */
export function Status({ bucket }: { bucket: Bucket }) {
  const status = bucket.status as string;
  return (
    <div class="status">
      <span class={`badge badge-${status.toLowerCase()}`}>{status}</span>
      {bucket.lastStatusAt ? (
        <span class="checked">
          checked <time dateTime={bucket.lastStatusAt}>{dateTime.format(new Date(bucket.lastStatusAt))}</time>
        </span>
      ) : (
        <span class="checked">never checked</span>
      )}
      {bucket.statusMessage ? <span class="status-message">{bucket.statusMessage}</span> : null}
    </div>
  );
}
