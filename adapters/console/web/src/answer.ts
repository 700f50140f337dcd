import { useEffect, useState } from "preact/hooks";
import { type Answer, call, type Problem } from "./api";

/**
 * The answer to one API call made when a page opens: its data once it arrives, or the Problem
 * to show. Pages that only read something once use it rather than each keeping the two states.
 */
export function useAnswer<T>(request: () => Promise<Answer<T>>): { data?: T; problem?: Problem } {
  const [answer, setAnswer] = useState<{ data?: T; problem?: Problem }>({});
  useEffect(() => {
    void call(request).then(setAnswer);
  }, []);
  return answer;
}
