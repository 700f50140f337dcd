import { api } from "./api";
import { useAnswer } from "./answer";
import { ProblemView } from "./problem";

/**
 * The quota page (GET /user/quota): the organization's plan and, per capability, a meter of
 * what is used out of what the plan allows. Each meter is named by its label, and its numbers
 * are written beside it, so they need no colour or screen reader to read.
 */
export function QuotaPage() {
  const { data: quota, problem } = useAnswer(() => api.GET("/user/quota"));

  return (
    <main id="main" aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>Quota</h1>
      <ProblemView problem={problem} title="The quota could not be loaded" />
      {quota === undefined ? (
        problem ? null : <p aria-busy="true">Loading the quota…</p>
      ) : (
        <>
          <p>
            Plan: <strong class="plan">{quota.subscription.name}</strong> ({quota.subscription.description})
          </p>
          {quota.quotaUsage.map((q) => {
            const id = `quota-${q.capability.code.toLowerCase()}`;
            return (
              <div class="quota" key={q.capability.id}>
                <label id={`${id}-label`} for={id}>{q.capability.description}</label>
                <meter id={id} min={0} max={q.usage.max} value={q.usage.current} high={q.usage.max * 0.8} optimum={0}
                  aria-labelledby={`${id}-label`} aria-describedby={`${id}-text`}>
                  {q.usage.current} of {q.usage.max}
                </meter>
                <p id={`${id}-text`} class="quota-text">
                  {q.usage.current} of {q.usage.max} used ({q.usage.percentage}%)
                </p>
              </div>
            );
          })}
        </>
      )}
    </main>
  );
}
