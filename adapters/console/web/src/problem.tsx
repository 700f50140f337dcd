import type { Problem } from "./api";

/**
 * An API error as a person reads it: the server's message and its code. role="alert" makes a
 * screen reader say it as soon as it appears.
 */
export function ProblemView({ problem, title }: { problem: Problem | undefined; title: string }) {
  if (!problem) return null;
  return (
    <div class="problem" role="alert">
      <p class="problem-title">{title}</p>
      <p class="problem-message">{problem.message}</p>
      <p class="problem-code">
        Code: <code>{problem.code}</code>
        {problem.status ? <span> (HTTP {problem.status})</span> : null}
      </p>
    </div>
  );
}
