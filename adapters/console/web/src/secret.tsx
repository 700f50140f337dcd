import { useRef, useState } from "preact/hooks";

/** A provider as the console's forms offer it; AZURE is sent for Azure Blob Storage. */
export type Provider = "S3" | "GCS" | "AZURE";

/** A key and its secret as a person typed or uploaded them; held in the form's memory only. */
export interface Secret {
  key: string;
  secret: string;
}

export const noSecret: Secret = { key: "", secret: "" };

/** What each provider calls the two parts of a credential. */
const labels: Record<Exclude<Provider, "GCS">, { key: string; secret: string }> = {
  S3: { key: "Access key id", secret: "Secret access key" },
  AZURE: { key: "Storage account name", secret: "Account key" },
};

/**
 * The fields of a credential for provider: a key and a secret, or for GCS a service account's
 * key file, read in the browser (FileReader) and sent as the secret, with its client_email as
 * the key. Nothing is written to browser storage; autocomplete is off so that the browser does
 * not offer to save a secret. keyOptional lets the key stay empty (a rotation keeps the stored
 * key). A form clears the fields after a submission by giving them a new Preact key, which
 * remounts them (a file input cannot be emptied otherwise).
 */
export function SecretFields({ provider, value, onChange, id, keyOptional = false }: {
  provider: Provider;
  value: Secret;
  onChange: (s: Secret) => void;
  id: string;
  keyOptional?: boolean;
}) {
  const file = useRef<HTMLInputElement>(null);
  const [fileProblem, setFileProblem] = useState("");

  if (provider === "GCS") {
    function read() {
      const chosen = file.current?.files?.[0];
      setFileProblem("");
      onChange({ key: "", secret: "" });
      if (!chosen) return;
      const reader = new FileReader();
      reader.onload = () => {
        try {
          const json = JSON.parse(String(reader.result)) as { client_email?: unknown; private_key?: unknown };
          if (typeof json.client_email !== "string" || typeof json.private_key !== "string") throw new Error("no client_email or private_key");
          onChange({ key: json.client_email, secret: String(reader.result) });
        } catch (err) {
          setFileProblem(`${chosen.name} is not a service account key file (${err instanceof Error ? err.message : String(err)}).`);
        }
      };
      reader.onerror = () => setFileProblem(`${chosen.name} could not be read.`);
      reader.readAsText(chosen);
    }
    return (
      <>
        <label for={`${id}-file`}>Service account key file (JSON)</label>
        <input id={`${id}-file`} ref={file} type="file" accept=".json,application/json" onChange={read} required aria-describedby={`${id}-file-help`} />
        <p id={`${id}-file-help`} class="help">
          Read by this page and sent to bucketd, which seals it; it is not uploaded anywhere else or kept in the browser.
        </p>
        {value.key ? <p class="help">Service account: <code>{value.key}</code></p> : null}
        {fileProblem ? <p class="field-problem" role="alert">{fileProblem}</p> : null}
      </>
    );
  }
  const l = labels[provider];
  return (
    <>
      <label for={`${id}-key`}>{l.key}{keyOptional ? " (leave empty to keep the stored one)" : ""}</label>
      <input id={`${id}-key`} value={value.key} onInput={(e) => onChange({ ...value, key: e.currentTarget.value })} autocomplete="off" spellcheck={false} required={!keyOptional} />
      <label for={`${id}-secret`}>{l.secret}</label>
      <input id={`${id}-secret`} type="password" value={value.secret} onInput={(e) => onChange({ ...value, secret: e.currentTarget.value })} autocomplete="new-password" spellcheck={false} required />
    </>
  );
}
