import { useEffect, useState } from "preact/hooks";
import { api, type ApiKey, call, type CreateBucket, idempotencyKey, type Problem, type Report, type Workspace } from "./api";
import { ProblemView } from "./problem";
import { ReportRegion, Running, useRunning } from "./report";
import { base, Link, type PageProps } from "./router";
import { noSecret, type Provider, type Secret, SecretFields } from "./secret";

/** The register form's values but the credential's secret parts, which live apart. */
interface Fields {
  name: string;
  workspaceId: string;
  provider: Provider;
  bucket: string;
  region: string;
  endpoint: string;
  /** "secret": a key and secret of the bucket's own; "stored": a credential from /apikeys. */
  source: "secret" | "stored";
  apiKeyId: string;
  validation: "read" | "readwrite";
}

const providers: [Provider, string][] = [["S3", "Amazon S3 or S3-compatible"], ["GCS", "Google Cloud Storage"], ["AZURE", "Azure Blob Storage"]];

/**
 * Registering a bucket: its provider's fields, then a dry run (POST /bucket/validate) whose
 * per-check report is shown before anything is saved, then the save (POST /bucket, with an
 * Idempotency-Key so that a retry cannot register it twice). Changing any field discards the
 * report: only values that passed a dry run can be saved.
 */
export function RegisterBucket({ announce, leave }: PageProps) {
  const [workspaces, setWorkspaces] = useState<Workspace[]>([]);
  const [fields, setFields] = useState<Fields>({ name: "", workspaceId: "", provider: "S3", bucket: "", region: "", endpoint: "", source: "secret", apiKeyId: "", validation: "read" });
  const [secret, setSecret] = useState<Secret>(noSecret);
  const [apiKeys, setApiKeys] = useState<ApiKey[]>();
  const [report, setReport] = useState<Report>();
  const [problem, setProblem] = useState<Problem>();
  const [saveKey, setSaveKey] = useState("");
  const { since, running, run } = useRunning();

  useEffect(() => {
    void call(() => api.GET("/workspace")).then((answer) => {
      if ("problem" in answer) return setProblem(answer.problem);
      setWorkspaces(answer.data.workspaces);
      setFields((f) => ({ ...f, workspaceId: f.workspaceId || (answer.data.workspaces[0]?.id ?? "") }));
    });
  }, []);

  useEffect(() => {
    if (fields.source !== "stored" || !fields.workspaceId) return;
    setApiKeys(undefined);
    void call(() => api.GET("/apikeys", { params: { query: { workspaceId: fields.workspaceId, provider: fields.provider } } })).then((answer) => {
      if ("problem" in answer) return setProblem(answer.problem);
      setApiKeys(answer.data.apiKeys);
    });
  }, [fields.source, fields.workspaceId, fields.provider]);

  /** Changes fields; the last report no longer describes them. */
  function update(patch: Partial<Fields>) {
    setFields((f) => ({ ...f, ...patch }));
    setReport(undefined);
  }

  function changeSecret(s: Secret) {
    setSecret(s);
    setReport(undefined);
  }

  function body(): CreateBucket {
    const f = fields;
    return {
      name: f.name,
      workspaceId: f.workspaceId,
      storageType: f.provider,
      bucket: f.bucket,
      validation: f.validation,
      ...(f.region ? { region: f.region } : {}),
      ...(f.endpoint ? { endpoint: f.endpoint } : {}),
      ...(f.source === "stored" ? { apiKeyUuid: f.apiKeyId } : { key: secret.key, secret: secret.secret }),
    };
  }

  async function dryRun(event: SubmitEvent) {
    event.preventDefault();
    setProblem(undefined);
    setReport(undefined);
    announce("Checking the credentials with the provider.");
    const answer = await run(() => call(() => api.POST("/bucket/validate", { body: body() })));
    if ("problem" in answer) {
      setProblem(answer.problem);
      return;
    }
    setReport(answer.data);
    setSaveKey(idempotencyKey());
  }

  async function save() {
    setProblem(undefined);
    announce("Registering the bucket.");
    const answer = await run(() => call(() => api.POST("/bucket", { params: { header: { "Idempotency-Key": saveKey } }, body: body() })));
    if ("problem" in answer) {
      setProblem(answer.problem);
      return;
    }
    setSecret(noSecret);
    leave(`${base}/buckets/${answer.data.bucketId}`, `Bucket ${fields.name} registered.`);
  }

  const f = fields;
  const container = f.provider === "AZURE";
  return (
    <main id="main" aria-labelledby="page-title">
      <p class="crumbs"><Link href={`${base}/buckets`}>Buckets</Link></p>
      <h1 id="page-title" tabIndex={-1}>Register a bucket</h1>
      <form class="card form" onSubmit={dryRun} aria-describedby="register-help">
        <p id="register-help" class="help">
          bucketd first checks the credentials against the provider and shows every check; the bucket is saved only after a check that passed.
        </p>
        <label for="name">Name</label>
        <input id="name" value={f.name} onInput={(e) => update({ name: e.currentTarget.value })} required maxLength={128} />
        <label for="workspace">Workspace</label>
        <select id="workspace" value={f.workspaceId} onChange={(e) => update({ workspaceId: e.currentTarget.value })} required>
          {workspaces.map((w) => <option key={w.id} value={w.id}>{w.name}</option>)}
        </select>
        <fieldset>
          <legend>Provider</legend>
          {providers.map(([p, label]) => (
            <label key={p} class="choice">
              <input type="radio" name="provider" value={p} checked={f.provider === p} onChange={() => { update({ provider: p, apiKeyId: "" }); changeSecret(noSecret); }} /> {label}
            </label>
          ))}
        </fieldset>
        <label for="bucket">{container ? "Container" : "Provider bucket"}</label>
        <input id="bucket" value={f.bucket} onInput={(e) => update({ bucket: e.currentTarget.value })} required spellcheck={false} />
        {container ? null : (
          <>
            <label for="region">{f.provider === "GCS" ? "Location" : "Region"} (optional)</label>
            <input id="region" value={f.region} onInput={(e) => update({ region: e.currentTarget.value })} aria-describedby="region-help" spellcheck={false} />
            <p id="region-help" class="help">Left empty, the bucket keeps the one the provider reports.</p>
          </>
        )}
        <label for="endpoint">Endpoint (optional)</label>
        <input id="endpoint" type="url" value={f.endpoint} onInput={(e) => update({ endpoint: e.currentTarget.value })} aria-describedby="endpoint-help" spellcheck={false} />
        <p id="endpoint-help" class="help">
          {f.provider === "S3"
            ? "The URL of an S3-compatible service; leave empty for AWS. The addressing style (virtual-hosted or path) that works is found by the check and shown in its report."
            : "Only for a non-default endpoint."}
        </p>
        <fieldset>
          <legend>Credentials</legend>
          <label class="choice">
            <input type="radio" name="source" value="secret" checked={f.source === "secret"} onChange={() => update({ source: "secret" })} /> This bucket's own
          </label>
          <label class="choice">
            <input type="radio" name="source" value="stored" checked={f.source === "stored"} onChange={() => update({ source: "stored" })} /> A stored credential
          </label>
        </fieldset>
        {f.source === "secret" ? (
          <SecretFields id="register" provider={f.provider} value={secret} onChange={changeSecret} />
        ) : (
          <StoredCredential apiKeys={apiKeys} value={f.apiKeyId} onChange={(apiKeyId) => update({ apiKeyId })} />
        )}
        <label for="validation">What the check may do</label>
        <select id="validation" value={f.validation} onChange={(e) => update({ validation: e.currentTarget.value as Fields["validation"] })}>
          <option value="read">Read only</option>
          <option value="readwrite">Read, and write and delete a probe object</option>
        </select>
        <div class="actions">
          <button type="submit" disabled={running}>Check</button>
          <button type="button" disabled={running || !report?.success} onClick={() => void save()} aria-describedby="save-help">Register</button>
        </div>
        <p id="save-help" class="help">Register is available once a check of these values passed.</p>
      </form>
      <Running since={since} what="Waiting for the provider" />
      <ProblemView problem={problem} title="The request failed" />
      <ReportRegion report={report} title="Dry-run report" />
    </main>
  );
}

/** The choice of a stored credential of the workspace and provider (GET /apikeys). */
function StoredCredential({ apiKeys, value, onChange }: { apiKeys: ApiKey[] | undefined; value: string; onChange: (id: string) => void }) {
  if (apiKeys === undefined) return <p aria-busy="true">Loading stored credentials…</p>;
  if (apiKeys.length === 0) return <p>No stored credential of this provider in this workspace.</p>;
  return (
    <>
      <label for="api-key">Stored credential</label>
      <select id="api-key" value={value} onChange={(e) => onChange(e.currentTarget.value)} required>
        <option value="">Choose one</option>
        {apiKeys.map((k) => (
          <option key={k.id} value={k.id}>{k.description ? `${k.description}: ` : ""}{k.keyHint} ({k.kind}, {k.bucket_count} buckets)</option>
        ))}
      </select>
    </>
  );
}
