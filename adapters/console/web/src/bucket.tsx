import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Bucket, call, idempotencyKey, type Problem, type Report } from "./api";
import { dateTime, Status } from "./buckets";
import { ConfirmDialog } from "./dialog";
import { ProblemView } from "./problem";
import { ReportRegion, Running, useRunning } from "./report";
import { base, Link, type PageProps } from "./router";
import { noSecret, type Provider, type Secret, SecretFields } from "./secret";

/** The console's provider of a bucket: BLOB and AZURE are both Azure. */
function providerOf(b: Bucket): Provider {
  return b.storageType === "BLOB" ? "AZURE" : b.storageType;
}

/**
 * A bucket's page (GET /bucket/{id}): its details; re-validation with the report
 * (POST /bucket/{id}/validate); editing its name, provider bucket and region and rotating its
 * secret (PUT /bucket/{id}, each with an Idempotency-Key); and deleting it after a
 * confirmation (DELETE /bucket/{id}). A refused rotation shows the API's message and code and
 * the report of the refused values, tried without storing them.
 */
export function BucketPage({ announce, leave, params }: PageProps) {
  const id = params.id;
  const [bucket, setBucket] = useState<Bucket>();
  const [problem, setProblem] = useState<Problem>();
  const [report, setReport] = useState<{ report: Report; title: string }>();
  const { since, running, run } = useRunning();
  const [doing, setDoing] = useState("");

  async function load(): Promise<Bucket | undefined> {
    const answer = await call(() => api.GET("/bucket/{bucketId}", { params: { path: { bucketId: id } } }));
    if ("problem" in answer) {
      setProblem(answer.problem);
      return undefined;
    }
    setBucket(answer.data.bucket);
    return answer.data.bucket;
  }

  useEffect(() => {
    void load().then((b) => announce(b ? `Status: ${b.status}.` : "The bucket could not be loaded."));
  }, [id]);

  /** Runs a provider round trip, announcing it and showing for how long it runs. */
  function slow<T>(what: string, task: () => Promise<T>): Promise<T> {
    setProblem(undefined);
    setReport(undefined);
    setDoing(what);
    announce(`${what}.`);
    return run(task);
  }

  async function revalidate() {
    const answer = await slow("Re-validating with the stored credentials", () => call(() => api.POST("/bucket/{bucketId}/validate", { params: { path: { bucketId: id } }, body: {} })));
    if ("problem" in answer) return setProblem(answer.problem);
    setReport({ report: answer.data, title: "Re-validation report" });
    await load();
  }

  async function update(what: string, body: Parameters<typeof putBody>[0]): Promise<boolean> {
    const answer = await slow(what, () => call(() => api.PUT("/bucket/{bucketId}", putBody(body))));
    if ("problem" in answer) {
      setProblem(answer.problem);
      return false;
    }
    announce(`Saved; the bucket is ${answer.data.status}.`);
    await load();
    return true;
  }

  function putBody(body: { name?: string; bucket?: string; region?: string; key?: string; secret?: string }) {
    return { params: { path: { bucketId: id }, header: { "Idempotency-Key": idempotencyKey() } }, body };
  }

  async function rotate(s: Secret) {
    const tried = { secret: s.secret, ...(s.key ? { key: s.key } : {}) };
    if (await update("Rotating the secret", tried)) return;
    // The update answers the first failed check only; the same values tried without storing
    // them show every check.
    setDoing("Trying the refused values for the report");
    const answer = await run(() => call(() => api.POST("/bucket/{bucketId}/validate", { params: { path: { bucketId: id } }, body: tried })));
    if ("problem" in answer) return;
    setReport({ report: answer.data, title: "Report of the refused secret (tried, not stored)" });
  }

  if (!bucket) {
    return (
      <main id="main" aria-labelledby="page-title">
        <p class="crumbs"><Link href={`${base}/buckets`}>Buckets</Link></p>
        <h1 id="page-title" tabIndex={-1}>Bucket</h1>
        <ProblemView problem={problem} title="The bucket could not be loaded" />
        {problem ? null : <p aria-busy="true">Loading the bucket…</p>}
      </main>
    );
  }
  return (
    <main id="main" aria-labelledby="page-title">
      <p class="crumbs"><Link href={`${base}/buckets`}>Buckets</Link></p>
      <h1 id="page-title" tabIndex={-1}>{bucket.name}</h1>
      <Details bucket={bucket} />
      <div class="actions">
        <button type="button" onClick={() => void revalidate()} disabled={running}>Re-validate</button>
      </div>
      <Running since={since} what={doing} />
      <ProblemView problem={problem} title="The request failed" />
      <ReportRegion report={report?.report} title={report?.title ?? ""} />
      <div class="forms">
        <EditForm bucket={bucket} disabled={running} onSave={(body) => update("Saving the changes", body)} />
        <RotateForm bucket={bucket} disabled={running} onRotate={rotate} />
      </div>
      <DeleteBucket bucket={bucket} leave={leave} />
    </main>
  );
}

/** Everything the API tells about the bucket; never a key or a secret, which it does not answer. */
function Details({ bucket: b }: { bucket: Bucket }) {
  const row = (label: string, value: ComponentChildren) => (
    <div class="fact" data-label={label}>
      <dt>{label}</dt>
      <dd>{value ?? <span class="none">none</span>}</dd>
    </div>
  );
  return (
    <dl class="details">
      {row("Status", <Status bucket={b} />)}
      {row("Provider", b.storageType)}
      {row("Bucket", <code>{b.bucket}</code>)}
      {row("Region", b.region || undefined)}
      {row("Endpoint", b.endpoint ? <code>{b.endpoint}</code> : undefined)}
      {row("Key hint", <code>{b.keyHint}</code>)}
      {row("Secret fingerprint", b.secretFingerprint ? <code>{b.secretFingerprint}</code> : undefined)}
      {row("Secret version", String(b.secretVersion))}
      {row("Stored credential", b.apiKeyId ? <code>{b.apiKeyId}</code> : undefined)}
      {row("Credentials changed", b.credentialsUpdatedAt ? <time dateTime={b.credentialsUpdatedAt}>{dateTime.format(new Date(b.credentialsUpdatedAt))}</time> : undefined)}
      {row("Workspace", <code>{b.workspaceId}</code>)}
    </dl>
  );
}

/** Changes the bucket's name, provider bucket or region; only the fields changed are sent. */
function EditForm({ bucket, disabled, onSave }: { bucket: Bucket; disabled: boolean; onSave: (body: { name?: string; bucket?: string; region?: string }) => Promise<boolean> }) {
  const [name, setName] = useState(bucket.name);
  const [providerBucket, setProviderBucket] = useState(bucket.bucket);
  const [region, setRegion] = useState(bucket.region);

  function submit(event: SubmitEvent) {
    event.preventDefault();
    void onSave({
      ...(name !== bucket.name ? { name } : {}),
      ...(providerBucket !== bucket.bucket ? { bucket: providerBucket } : {}),
      ...(region !== bucket.region ? { region } : {}),
    });
  }

  return (
    <form class="card form" onSubmit={submit} aria-labelledby="edit-title">
      <h2 id="edit-title">Edit</h2>
      <label for="edit-name">Name</label>
      <input id="edit-name" value={name} onInput={(e) => setName(e.currentTarget.value)} required maxLength={128} />
      <label for="edit-bucket">{providerOf(bucket) === "AZURE" ? "Container" : "Provider bucket"}</label>
      <input id="edit-bucket" value={providerBucket} onInput={(e) => setProviderBucket(e.currentTarget.value)} required spellcheck={false} />
      <label for="edit-region">Region</label>
      <input id="edit-region" value={region} onInput={(e) => setRegion(e.currentTarget.value)} spellcheck={false} />
      <p class="help">A new provider bucket or region is checked with the provider before it is saved.</p>
      <button type="submit" disabled={disabled}>Save changes</button>
    </form>
  );
}

/**
 * Rotates the bucket's own secret (and its key, when given). The fields are emptied after
 * every submission, whatever the answer: a secret is never kept longer than its request. A
 * bucket that uses a stored credential is rotated through that credential instead.
 */
function RotateForm({ bucket, disabled, onRotate }: { bucket: Bucket; disabled: boolean; onRotate: (s: Secret) => Promise<void> }) {
  const [secret, setSecret] = useState<Secret>(noSecret);
  const [round, setRound] = useState(0);

  if (bucket.apiKeyId) {
    return (
      <section class="card form" aria-labelledby="rotate-title">
        <h2 id="rotate-title">Rotate the secret</h2>
        <p>This bucket uses a stored credential: rotate that credential, and every bucket that uses it is checked with the new secret.</p>
      </section>
    );
  }

  function submit(event: SubmitEvent) {
    event.preventDefault();
    const s = secret;
    setSecret(noSecret);
    setRound((r) => r + 1);
    void onRotate(s);
  }

  return (
    <form class="card form" onSubmit={submit} aria-labelledby="rotate-title">
      <h2 id="rotate-title">Rotate the secret</h2>
      <SecretFields key={round} id="rotate" provider={providerOf(bucket)} value={secret} onChange={setSecret} keyOptional />
      <p class="help">The new secret is checked with the provider and replaces the stored one only if every check passes.</p>
      <button type="submit" disabled={disabled}>Rotate</button>
    </form>
  );
}

/** The delete button and its confirmation dialog; after a delete the bucket list is shown. */
function DeleteBucket({ bucket, leave }: { bucket: Bucket; leave: PageProps["leave"] }) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const opener = useRef<HTMLButtonElement>(null);

  async function remove() {
    setBusy(true);
    setProblem(undefined);
    const answer = await call(() => api.DELETE("/bucket/{bucketId}", { params: { path: { bucketId: bucket.id } } }));
    setBusy(false);
    if ("problem" in answer) return setProblem(answer.problem);
    leave(`${base}/buckets`, `Bucket ${bucket.name} deleted.`);
  }

  return (
    <section class="danger-zone" aria-labelledby="delete-title">
      <h2 id="delete-title">Delete</h2>
      <p>The bucket disappears from bucketd; the provider's bucket and its objects are not touched.</p>
      <button type="button" ref={opener} class="danger" onClick={() => setOpen(true)}>Delete bucket</button>
      <ConfirmDialog open={open} title={`Delete ${bucket.name}?`} confirm="Delete" busy={busy} onConfirm={() => void remove()} onClose={() => setOpen(false)} returnTo={opener.current}>
        <p>bucketd forgets the bucket <strong>{bucket.name}</strong> ({bucket.bucket}); its name can be used again.</p>
        <ProblemView problem={problem} title="The bucket was not deleted" />
      </ConfirmDialog>
    </section>
  );
}
