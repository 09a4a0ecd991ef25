import type { ScoreSummary, TaskScore, VerdictCounts } from "../eval/passk.ts";
import type { VerdictKind } from "../python/types.ts";
import type { RunSpec } from "./types.ts";

/** One row of the run page's per-task table. */
export interface TaskRow {
  taskId: string;
  /** Position in the run (the spec's order). */
  order: number;
  /** Samples with a verdict. */
  n: number;
  /** Of those, passed. */
  c: number;
  /** c / n, or -1 when nothing is judged yet (sorts below every judged task). */
  fraction: number;
  verdicts: VerdictCounts;
  shownNotHidden: number;
}

export type RowFilter = "all" | "solved" | "unsolved" | "partial" | "pending" | "shown-not-hidden" | VerdictKind;
export type SortKey = "order" | "task" | "fraction" | "n" | VerdictKind;

export interface TableQuery {
  /** Words that must all occur in the task id. */
  q: string;
  filter: RowFilter;
  sort: SortKey;
  desc: boolean;
}

const EMPTY: VerdictCounts = { passed: 0, failed: 0, error: 0, syntax_error: 0, timeout: 0, resource: 0, sandbox_crash: 0 };

/** Every task of the run, judged or not, from a score summary. */
export function taskRows(spec: Pick<RunSpec, "taskIds">, scores: Pick<ScoreSummary, "perTask">): TaskRow[] {
  const byId = new Map<string, TaskScore>(scores.perTask.map((t) => [t.taskId, t]));
  return spec.taskIds.map((taskId, order) => {
    const t = byId.get(taskId);
    if (!t) return { taskId, order, n: 0, c: 0, fraction: -1, verdicts: EMPTY, shownNotHidden: 0 };
    return { taskId, order, n: t.n, c: t.c, fraction: t.n ? t.c / t.n : -1, verdicts: t.verdicts, shownNotHidden: t.shownNotHidden };
  });
}

function keep(row: TaskRow, filter: RowFilter): boolean {
  switch (filter) {
    case "all":
      return true;
    case "solved":
      return row.c > 0;
    case "unsolved":
      return row.n > 0 && row.c === 0;
    case "partial":
      return row.c > 0 && row.c < row.n;
    case "pending":
      return row.n === 0;
    case "shown-not-hidden":
      return row.shownNotHidden > 0;
    default:
      return row.verdicts[filter] > 0;
  }
}

/** Numeric ids ("11" < "100") in number order, others by text. */
const collator = new Intl.Collator("en", { numeric: true });

export function queryRows(rows: readonly TaskRow[], query: TableQuery): TaskRow[] {
  const words = query.q.toLowerCase().split(/\s+/).filter(Boolean);
  const out = rows.filter((r) => keep(r, query.filter) && (words.length === 0 || words.every((w) => r.taskId.toLowerCase().includes(w))));
  const dir = query.desc ? -1 : 1;
  const by = query.sort;
  out.sort((a, b) => {
    let d: number;
    if (by === "order") d = a.order - b.order;
    else if (by === "task") d = collator.compare(a.taskId, b.taskId);
    else if (by === "fraction") d = a.fraction - b.fraction;
    else if (by === "n") d = a.n - b.n;
    else d = a.verdicts[by] - b.verdicts[by];
    return d * dir || a.order - b.order;
  });
  return out;
}
