import { useEffect, useState } from "preact/hooks";
import type { Report } from "./api";

/**
 * Runs one slow task at a time and tells since when it runs, for Running: a validation at the
 * provider can take seconds, and a person must see that it is under way.
 */
export function useRunning() {
  const [since, setSince] = useState<number>();
  async function run<T>(task: () => Promise<T>): Promise<T> {
    setSince(Date.now());
    try {
      return await task();
    } finally {
      setSince(undefined);
    }
  }
  return { since, running: since !== undefined, run };
}

/**
 * What is running and for how long, in whole seconds. The elapsed time is a role="timer",
 * which screen readers do not read out at every tick; the start is announced by the caller.
 */
export function Running({ since, what }: { since: number | undefined; what: string }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (since === undefined) return;
    setNow(Date.now());
    const ticker = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(ticker);
  }, [since]);
  if (since === undefined) return null;
  const seconds = Math.max(0, Math.floor((now - since) / 1000));
  return (
    <p class="running" aria-busy="true">
      <span class="spinner" aria-hidden="true" />
      {what}… <span role="timer" class="elapsed">{seconds} s</span> elapsed
    </p>
  );
}

const verdicts = { pass: "passed", fail: "failed", skip: "skipped" } as const;

/**
 * The place of a validation report: a live region that exists before the report does, so
 * that a screen reader reads the report out when it arrives.
 */
export function ReportRegion({ report, title }: { report: Report | undefined; title: string }) {
  return (
    <div class="report-region" aria-live="polite">
      {report ? <ReportView report={report} title={title} /> : null}
    </div>
  );
}

/** A validation report: the verdict with the message and code of the first failed check, then every check in order. */
function ReportView({ report, title }: { report: Report; title: string }) {
  return (
    <section class="report" aria-labelledby="report-title">
      <h2 id="report-title">{title}</h2>
      <p class="verdict">
        <span class={`badge badge-${report.status.toLowerCase()}`}>{report.status}</span>{" "}
        {report.success ? "Every check passed." : "A check failed:"} <span class="report-message">{report.message}</span>
        {report.code ? <span> (code <code class="report-code">{report.code}</code>)</span> : null}
      </p>
      <ol class="checks">
        {report.checks.map((c) => (
          <li key={c.name} class={`check check-${c.status}`} data-check={c.name}>
            <span class="check-verdict">{verdicts[c.status]}</span> <span class="check-name">{c.name}</span>:{" "}
            <span class="check-message">{c.message}</span>
            {c.providerCode ? <span> (provider code <code>{c.providerCode}</code>)</span> : null}
          </li>
        ))}
      </ol>
      <dl class="facts">
        {report.region ? <><dt>Region</dt><dd>{report.region}</dd></> : null}
        {report.regionDetection ? <><dt>Region detection</dt><dd>{report.regionDetection}</dd></> : null}
        {report.addressingStyle ? <><dt>Addressing style</dt><dd class="addressing-style">{report.addressingStyle}</dd></> : null}
        <dt>Took</dt>
        <dd>{report.latency_ms} ms</dd>
      </dl>
    </section>
  );
}
