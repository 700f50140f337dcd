import { useEffect, useState } from "preact/hooks";
import type { components } from "../../../../gen/ts/schema";
import { api, call, type Problem, type Workspace } from "./api";
import { useAnswer } from "./answer";
import { ProblemView } from "./problem";

type ApiKey = components["schemas"]["ApiKey"];
type Kind = components["schemas"]["CredentialKind"];
type CreateRequest = components["schemas"]["CreateApiKeyRequest"];
type RotationFailure = components["schemas"]["RotationFailure"];

/** The providers as Flashback names them, each with the credential kinds bucketd takes for it. */
const providers = {
  AWS: { label: "AWS S3 or S3-compatible", kinds: ["KEY_SECRET", "AWS_SESSION", "AWS_ROLE"] },
  GCP: { label: "Google Cloud Storage", kinds: ["KEY_SECRET", "GCS_IMPERSONATION"] },
  AZURE: { label: "Azure Blob Storage", kinds: ["KEY_SECRET", "AZURE_SERVICE_PRINCIPAL", "AZURE_SAS"] },
} as const satisfies Record<string, { label: string; kinds: readonly Kind[] }>;
type Provider = keyof typeof providers;

/**
 * What each kind's fields are called (docs/credentials.md): the key is the public part, the
 * secret the part bucketd seals and never answers back; a kind without a secret has none.
 */
const fields: Record<Provider, Partial<Record<Kind, { label: string; key: string; secret?: string }>>> = {
  AWS: {
    KEY_SECRET: { label: "Access key and secret", key: "Access key id", secret: "Secret access key" },
    AWS_SESSION: { label: "Temporary credentials (session token)", key: "Access key id", secret: "Secret access key" },
    AWS_ROLE: { label: "IAM role bucketd assumes", key: "Role ARN" },
  },
  GCP: {
    KEY_SECRET: { label: "Service-account key file", key: "Service account email", secret: "Key file" },
    GCS_IMPERSONATION: { label: "Impersonated service account", key: "Service account email" },
  },
  AZURE: {
    KEY_SECRET: { label: "Storage account key", key: "Storage account name", secret: "Account key" },
    AZURE_SERVICE_PRINCIPAL: { label: "Service principal", key: "Application (client) id", secret: "Client secret" },
    AZURE_SAS: { label: "Shared access signature", key: "Storage account name", secret: "SAS token" },
  },
};

/** The kind's field names, for a provider bucketd lists under another spelling (S3, GCS, BLOB) too. */
function fieldsOf(provider: string, kind: Kind) {
  const p = ({ S3: "AWS", GCS: "GCP", BLOB: "AZURE" } as Record<string, Provider>)[provider] ?? (provider as Provider);
  return fields[p]?.[kind];
}

/**
 * The credentials page (/apikeys): the stored credentials the caller may see, a form to add
 * one, and per credential a rotation (with the per-bucket report when it is refused) and a
 * deletion. Secrets live only in the fields of a form and are cleared once it is sent.
 */
export function Credentials({ announce }: { announce: (message: string) => void }) {
  const [keys, setKeys] = useState<ApiKey[]>();
  const [problem, setProblem] = useState<Problem>();
  const listed = useAnswer(() => api.GET("/workspace"));
  const workspaces = listed.data?.workspaces ?? [];

  async function load() {
    const answer = await call(() => api.GET("/apikeys"));
    if ("problem" in answer) {
      setProblem(answer.problem);
      return;
    }
    setProblem(undefined);
    setKeys(answer.data.apiKeys);
  }

  useEffect(() => {
    void load();
  }, []);

  function changed(message: string) {
    announce(message);
    void load();
  }

  const workspaceName = (id: string) => workspaces.find((w) => w.id === id)?.name ?? id;

  return (
    <main id="main" aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>Credentials</h1>
      <p class="help">
        A credential is registered once and used by reference by the buckets of its workspace. bucketd proves it at
        the provider before storing it, and never shows its secret again.
      </p>
      <ProblemView problem={problem} title="The credentials could not be loaded" />
      <ProblemView problem={listed.problem} title="The workspaces could not be loaded" />
      {keys === undefined ? (
        <p aria-busy="true">Loading credentials…</p>
      ) : keys.length === 0 ? (
        <p>No credentials yet.</p>
      ) : (
        <ul class="credentials">
          {keys.map((k) => (
            <CredentialItem key={k.id} apiKey={k} workspace={workspaceName(k.workspaceId)} changed={changed} />
          ))}
        </ul>
      )}
      {workspaces.length > 0 ? <AddCredential workspaces={workspaces} added={changed} /> : null}
    </main>
  );
}

/** One stored credential: what it is, and its rotation and deletion. */
function CredentialItem({ apiKey, workspace, changed }: { apiKey: ApiKey; workspace: string; changed: (message: string) => void }) {
  const [action, setAction] = useState<"rotate" | "delete">();
  const named = apiKey.description || `${apiKey.provider} ${apiKey.keyHint}`;
  const rotatable = fieldsOf(apiKey.provider, apiKey.kind)?.secret !== undefined;
  return (
    <li class="card credential" aria-label={named}>
      <h2>{named}</h2>
      <dl class="facts">
        <dt>Provider</dt>
        <dd>{apiKey.provider}</dd>
        <dt>Kind</dt>
        <dd>{fieldsOf(apiKey.provider, apiKey.kind)?.label ?? apiKey.kind}</dd>
        <dt>Key hint</dt>
        <dd><code>{apiKey.keyHint}</code></dd>
        <dt>Secret fingerprint</dt>
        <dd>{apiKey.secretFingerprint ? <code>{apiKey.secretFingerprint}</code> : <span class="none">none</span>}</dd>
        <dt>Buckets</dt>
        <dd>{apiKey.bucket_count}</dd>
        <dt>Workspace</dt>
        <dd>{workspace}</dd>
      </dl>
      <div class="actions">
        {rotatable ? (
          <button type="button" aria-expanded={action === "rotate"} onClick={() => setAction(action === "rotate" ? undefined : "rotate")}>
            Rotate
          </button>
        ) : null}
        <button type="button" class="danger" aria-expanded={action === "delete"} onClick={() => setAction(action === "delete" ? undefined : "delete")}>
          Delete
        </button>
      </div>
      {action === "rotate" ? <Rotate apiKey={apiKey} name={named} rotated={changed} /> : null}
      {action === "delete" ? <Delete apiKey={apiKey} name={named} deleted={changed} cancel={() => setAction(undefined)} /> : null}
    </li>
  );
}

/**
 * Rotation (PUT /apikeys/{id}): a new secret, proved alone and then against every bucket that
 * uses the credential. A refusal lists each bucket it failed for and why (failedBuckets).
 */
function Rotate({ apiKey, name, rotated }: { apiKey: ApiKey; name: string; rotated: (message: string) => void }) {
  const names = fieldsOf(apiKey.provider, apiKey.kind);
  const [key, setKey] = useState("");
  const [secret, setSecret] = useState("");
  const [sessionToken, setSessionToken] = useState("");
  const [problem, setProblem] = useState<Problem>();
  const [failed, setFailed] = useState<RotationFailure[]>([]);
  const [running, setRunning] = useState(false);
  const id = `rotate-${apiKey.id}`;
  // A GCS key file names its service account, so a new one brings its own key.
  const file = names === fields.GCP.KEY_SECRET;

  async function submit(e: Event) {
    e.preventDefault();
    setRunning(true);
    setProblem(undefined);
    setFailed([]);
    let refused: RotationFailure[] = [];
    const body = { secret, ...(key ? { key } : {}), ...(apiKey.kind === "AWS_SESSION" ? { sessionToken } : {}) };
    const answer = await call(async () => {
      const a = await api.PUT("/apikeys/{apiKeyId}", { params: { path: { apiKeyId: apiKey.id } }, body });
      refused = (a.error as { failedBuckets?: RotationFailure[] } | undefined)?.failedBuckets ?? [];
      return a;
    });
    // The new secret leaves the page with the request, whatever the answer.
    setSecret("");
    setSessionToken("");
    setRunning(false);
    if ("problem" in answer) {
      setProblem(answer.problem);
      setFailed(refused);
      return;
    }
    setKey("");
    rotated(`The credential ${name} was rotated.`);
  }

  return (
    <form class="inline-form" onSubmit={(e) => void submit(e)} aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Rotate {name}</h3>
      {names?.key && !file ? (
        <>
          <label for={`${id}-key`}>New {names.key.toLowerCase()} (empty to keep it)</label>
          <input id={`${id}-key`} autoComplete="off" spellcheck={false} value={key} onInput={(e) => setKey((e.currentTarget as HTMLInputElement).value)} />
        </>
      ) : null}
      <SecretField id={`${id}-secret`} label={`New ${names?.secret?.toLowerCase() ?? "secret"}`} file={file} value={secret} set={setSecret} />
      {apiKey.kind === "AWS_SESSION" ? <SecretField id={`${id}-session`} label="New session token" value={sessionToken} set={setSessionToken} /> : null}
      <button type="submit" disabled={running || secret === ""}>{running ? "Proving the new secret…" : "Rotate"}</button>
      <ProblemView problem={problem} title="The rotation was refused" />
      {failed.length > 0 ? (
        <table class="report">
          <caption>Buckets the new secret failed for</caption>
          <thead>
            <tr><th scope="col">Bucket</th><th scope="col">Code</th><th scope="col">Why</th></tr>
          </thead>
          <tbody>
            {failed.map((f) => (
              <tr key={f.bucketId}><th scope="row">{f.name}</th><td><code>{f.code}</code></td><td>{f.message}</td></tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </form>
  );
}

/** Deletion (DELETE /apikeys/{id}) after a confirmation; a credential in use is refused with its count. */
function Delete({ apiKey, name, deleted, cancel }: { apiKey: ApiKey; name: string; deleted: (message: string) => void; cancel: () => void }) {
  const [problem, setProblem] = useState<Problem>();
  const [running, setRunning] = useState(false);

  async function confirm() {
    setRunning(true);
    const answer = await call(() => api.DELETE("/apikeys/{apiKeyId}", { params: { path: { apiKeyId: apiKey.id } } }));
    setRunning(false);
    if ("problem" in answer) setProblem(answer.problem);
    else deleted(`The credential ${name} was deleted.`);
  }

  return (
    <div class="inline-form" role="group" aria-label={`Delete ${name}`}>
      <p>
        Delete {name}? {apiKey.bucket_count > 0 ? `${apiKey.bucket_count} ${apiKey.bucket_count === 1 ? "bucket uses" : "buckets use"} it.` : "No bucket uses it."}
      </p>
      <div class="actions">
        <button type="button" class="danger" disabled={running} onClick={() => void confirm()}>Delete for good</button>
        <button type="button" class="secondary" onClick={cancel}>Cancel</button>
      </div>
      <ProblemView problem={problem} title="The credential was not deleted" />
    </div>
  );
}

/**
 * A secret's field: a password field, or for a GCS key file a file picker whose content is
 * read into the form's memory and never shown.
 */
function SecretField({ id, label, value, set, file = false }: { id: string; label: string; value: string; set: (v: string) => void; file?: boolean }) {
  if (file) {
    return (
      <>
        <label for={id}>{label}</label>
        <input id={id} type="file" accept="application/json,.json" required onChange={(e) => {
          const chosen = (e.currentTarget as HTMLInputElement).files?.[0];
          if (chosen) void chosen.text().then(set);
        }} />
      </>
    );
  }
  return (
    <>
      <label for={id}>{label}</label>
      <input id={id} type="password" autoComplete="off" spellcheck={false} required value={value} onInput={(e) => set((e.currentTarget as HTMLInputElement).value)} />
    </>
  );
}

/** The organization's ExternalId for AWS_ROLE trust policies (GET /apikeys/aws-trust). */
function AwsTrust() {
  const { data: trust, problem } = useAnswer(() => api.GET("/apikeys/aws-trust"));
  return (
    <div class="trust">
      <ProblemView problem={problem} title="The ExternalId could not be loaded" />
      {trust ? (
        <p class="help">
          The role's trust policy must let bucketd in{trust.principalArn ? <> (principal <code>{trust.principalArn}</code>)</> : null} with
          the condition <code>sts:ExternalId</code> = <code class="external-id">{trust.externalId}</code>.
        </p>
      ) : null}
    </div>
  );
}

/** The form that registers a credential (POST /apikeys), its fields chosen by provider and kind. */
function AddCredential({ workspaces, added }: { workspaces: Workspace[]; added: (message: string) => void }) {
  const [workspaceId, setWorkspaceId] = useState(workspaces[0].id);
  const [provider, setProvider] = useState<Provider>("AWS");
  const [kind, setKind] = useState<Kind>("KEY_SECRET");
  const [key, setKey] = useState("");
  const [secret, setSecret] = useState("");
  const [sessionToken, setSessionToken] = useState("");
  const [tenantId, setTenantId] = useState("");
  const [endpoint, setEndpoint] = useState("");
  const [region, setRegion] = useState("");
  const [description, setDescription] = useState("");
  const [problem, setProblem] = useState<Problem>();
  const [running, setRunning] = useState(false);
  const names = fields[provider][kind] ?? fields[provider].KEY_SECRET!;
  const keyFile = provider === "GCP" && kind === "KEY_SECRET";

  function chooseProvider(p: Provider) {
    setProvider(p);
    setKind("KEY_SECRET");
  }

  /** A GCS key file names its service account: the key is read from it. */
  function setKeyFile(text: string) {
    setSecret(text);
    try {
      const email = (JSON.parse(text) as { client_email?: unknown }).client_email;
      if (typeof email === "string") setKey(email);
    } catch {
      // Not JSON: the server says what is wrong with it.
    }
  }

  async function submit(e: Event) {
    e.preventDefault();
    setRunning(true);
    setProblem(undefined);
    const body: CreateRequest = {
      provider, kind, key, workspaceId,
      ...(names.secret ? { secret } : {}),
      ...(kind === "AWS_SESSION" ? { sessionToken } : {}),
      ...(kind === "AZURE_SERVICE_PRINCIPAL" ? { tenantId } : {}),
      ...(endpoint ? { endpoint } : {}),
      ...(region ? { region } : {}),
      ...(description ? { description } : {}),
    };
    const answer = await call(() => api.POST("/apikeys", { body }));
    // Secrets are dropped as soon as they are sent, whether or not they were accepted.
    setSecret("");
    setSessionToken("");
    setRunning(false);
    if ("problem" in answer) {
      setProblem(answer.problem);
      return;
    }
    setKey("");
    setDescription("");
    added("The credential was proved and registered.");
  }

  return (
    <form class="card add-credential" onSubmit={(e) => void submit(e)} aria-labelledby="add-title">
      <h2 id="add-title">Add a credential</h2>
      <label for="add-workspace">Workspace</label>
      <select id="add-workspace" value={workspaceId} onChange={(e) => setWorkspaceId((e.currentTarget as HTMLSelectElement).value)}>
        {workspaces.map((w) => <option key={w.id} value={w.id}>{w.name}</option>)}
      </select>
      <label for="add-provider">Provider</label>
      <select id="add-provider" value={provider} onChange={(e) => chooseProvider((e.currentTarget as HTMLSelectElement).value as Provider)}>
        {(Object.keys(providers) as Provider[]).map((p) => <option key={p} value={p}>{providers[p].label}</option>)}
      </select>
      <label for="add-kind">Kind</label>
      <select id="add-kind" value={kind} onChange={(e) => setKind((e.currentTarget as HTMLSelectElement).value as Kind)}>
        {providers[provider].kinds.map((k) => <option key={k} value={k}>{fields[provider][k]?.label ?? k}</option>)}
      </select>
      {kind === "AWS_ROLE" ? <AwsTrust /> : null}
      {keyFile ? null : (
        <>
          <label for="add-key">{names.key}</label>
          <input id="add-key" required autoComplete="off" spellcheck={false} value={key} onInput={(e) => setKey((e.currentTarget as HTMLInputElement).value)} />
        </>
      )}
      {names.secret ? <SecretField id="add-secret" label={names.secret} file={keyFile} value={secret} set={keyFile ? setKeyFile : setSecret} /> : null}
      {kind === "AWS_SESSION" ? <SecretField id="add-session" label="Session token" value={sessionToken} set={setSessionToken} /> : null}
      {kind === "AZURE_SERVICE_PRINCIPAL" ? (
        <>
          <label for="add-tenant">Tenant id</label>
          <input id="add-tenant" required autoComplete="off" value={tenantId} onInput={(e) => setTenantId((e.currentTarget as HTMLInputElement).value)} />
        </>
      ) : null}
      <label for="add-endpoint">Endpoint (optional)</label>
      <input id="add-endpoint" type="url" autoComplete="off" value={endpoint} onInput={(e) => setEndpoint((e.currentTarget as HTMLInputElement).value)} />
      <p class="help">{provider === "AZURE" ? "The blob service's address, naming the account." : "For S3-compatible or emulated storage; empty for the provider's own."}</p>
      <label for="add-region">Region (optional)</label>
      <input id="add-region" autoComplete="off" value={region} onInput={(e) => setRegion((e.currentTarget as HTMLInputElement).value)} />
      <label for="add-description">Description (optional)</label>
      <input id="add-description" autoComplete="off" value={description} onInput={(e) => setDescription((e.currentTarget as HTMLInputElement).value)} />
      <button type="submit" disabled={running}>{running ? "Proving it at the provider…" : "Add credential"}</button>
      <ProblemView problem={problem} title="The credential was not registered" />
    </form>
  );
}
