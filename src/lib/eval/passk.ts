import type { VerdictKind } from "../python/types.ts";

/**
 * # Scores
 *
 * ```ts
 * const s = scoreSamples(verdicts);          // VerdictRecord[] works as is
 * s.passAtK;                                 // [{ k: 1, value: 0.41 }, { k: 2, … }, …] for every k ≤ n
 * s.solvedAny; s.samplePassRate;             // the paper's two measures
 * s.hidden.shownNotHidden;                   // samples that pass what they were shown, fail the rest
 * ```
 *
 * A sample solves its task when its verdict is `passed` (every shown and hidden test passed).
 */

/** The part of a verdict scoring needs; `VerdictRecord` (runs/types.ts) has these fields. */
export interface SampleOutcome {
  taskId: string;
  kind: VerdictKind;
  /** Every test shown in the prompt passed (vacuously true when there are none). */
  shownPassed: boolean;
  /** Every hidden test passed (vacuously true when there are none). */
  hiddenPassed: boolean;
  hasHidden: boolean;
}

/**
 * The unbiased pass@k estimate for one task with `n` samples of which `c` are correct:
 * 1 − C(n−c, k) / C(n, k), in the product form of openai/human-eval
 * (`human_eval/evaluation.py`, `estimate_pass_at_k`), which never forms a binomial and so
 * neither overflows nor cancels: `n − c < k ? 1 : 1 − ∏_{i=n−c+1..n} (1 − k/i)`.
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k) || n < 1 || c < 0 || c > n || k < 1 || k > n) {
    throw new RangeError(`pass@k needs whole numbers with 0 ≤ c ≤ n and 1 ≤ k ≤ n (got n=${n}, c=${c}, k=${k}); skip any k larger than the samples per task`);
  }
  if (n - c < k) return 1;
  let prod = 1;
  for (let i = n - c + 1; i <= n; i++) prod *= 1 - k / i;
  return 1 - prod;
}

/** A sample that passes every test it was shown but fails a hidden one (the paper's Figures 7–8). */
export function passesShownFailsHidden(r: SampleOutcome): boolean {
  return r.hasHidden && r.shownPassed && !r.hiddenPassed;
}

export type VerdictCounts = Record<VerdictKind, number>;

const zeroCounts = (): VerdictCounts => ({ passed: 0, failed: 0, error: 0, syntax_error: 0, timeout: 0, resource: 0, sandbox_crash: 0 });

export interface TaskScore {
  taskId: string;
  /** Samples with a verdict. */
  n: number;
  /** Of those, samples that passed. */
  c: number;
  shownPassed: number;
  /** Samples whose task has hidden tests (all of them or none). */
  withHidden: number;
  hiddenPassed: number;
  /** Samples that pass shown tests but fail hidden ones. */
  shownNotHidden: number;
  verdicts: VerdictCounts;
}

export interface ScoreSummary {
  tasks: number;
  samples: number;
  /** Fewest and most samples any task has. */
  minN: number;
  maxN: number;
  /**
   * Mean over tasks of the per-task estimate, for each requested k with k ≤ minN (as human-eval
   * reports a k only when every task has at least k samples), in increasing k.
   */
  passAtK: { k: number; value: number }[];
  /** Requested ks left out because some task has fewer samples. */
  skippedK: number[];
  /** Share of tasks solved by at least one sample (the paper's headline measure). */
  solvedAny: number;
  /** Share of all samples that solve their task. */
  samplePassRate: number;
  /** Share of tasks whose one sample passed, when every task has exactly one sample (greedy decoding
   *  at temperature 0 in the paper; the caller knows the temperature). Otherwise null. */
  greedyAccuracy: number | null;
  verdicts: VerdictCounts;
  /** Share of samples that pass every test they were shown. */
  shownPassRate: number;
  hidden: {
    /** Samples whose task has hidden tests; the rates below are over these, null when there are none. */
    samples: number;
    tasks: number;
    /** Share that pass the hidden tests. */
    passRate: number | null;
    /** Share of those passing the shown tests that also pass the hidden ones. */
    passRateGivenShown: number | null;
    /** Share that pass the shown tests (same samples, for comparison with passRate). */
    shownPassRate: number | null;
    shownNotHidden: number;
    /** Tasks with at least one such sample. */
    tasksShownNotHidden: number;
  };
  /** In order of first appearance. */
  perTask: TaskScore[];
}

/** Memo of pass@k rows per (n, c): tasks share few distinct pairs, so each row is computed once. */
class PassAtKMemo {
  readonly #rows = new Map<number, Float64Array>();
  constructor(private readonly ks: readonly number[]) {}
  row(n: number, c: number): Float64Array {
    const key = n * 1_000_003 + c;
    let row = this.#rows.get(key);
    if (!row) {
      row = new Float64Array(this.ks.length);
      for (let j = 0; j < this.ks.length; j++) row[j] = passAtK(n, c, this.ks[j]!);
      this.#rows.set(key, row);
    }
    return row;
  }
}

/**
 * Scores a run's verdicts. `ks` defaults to every k from 1 to the smallest number of samples
 * any task has. Tasks with no verdicts are not known here and so not counted.
 */
export function scoreSamples(records: Iterable<SampleOutcome>, opts: { ks?: readonly number[] } = {}): ScoreSummary {
  const byTask = new Map<string, TaskScore>();
  const verdicts = zeroCounts();
  let samples = 0;
  let passed = 0;
  let shownPassed = 0;
  let hSamples = 0;
  let hPassed = 0;
  let hShown = 0;
  let hShownAndHidden = 0;
  let shownNotHidden = 0;
  for (const r of records) {
    let t = byTask.get(r.taskId);
    if (!t) {
      t = { taskId: r.taskId, n: 0, c: 0, shownPassed: 0, withHidden: 0, hiddenPassed: 0, shownNotHidden: 0, verdicts: zeroCounts() };
      byTask.set(r.taskId, t);
    }
    samples++;
    t.n++;
    verdicts[r.kind]++;
    t.verdicts[r.kind]++;
    if (r.kind === "passed") {
      passed++;
      t.c++;
    }
    if (r.shownPassed) {
      shownPassed++;
      t.shownPassed++;
    }
    if (r.hasHidden) {
      hSamples++;
      t.withHidden++;
      if (r.hiddenPassed) {
        hPassed++;
        t.hiddenPassed++;
      }
      if (r.shownPassed) {
        hShown++;
        if (r.hiddenPassed) hShownAndHidden++;
        else {
          shownNotHidden++;
          t.shownNotHidden++;
        }
      }
    }
  }

  const perTask = [...byTask.values()];
  let minN = Infinity;
  let maxN = 0;
  let solved = 0;
  let hiddenTasks = 0;
  let tasksShownNotHidden = 0;
  for (const t of perTask) {
    if (t.n < minN) minN = t.n;
    if (t.n > maxN) maxN = t.n;
    if (t.c > 0) solved++;
    if (t.withHidden > 0) hiddenTasks++;
    if (t.shownNotHidden > 0) tasksShownNotHidden++;
  }
  if (!perTask.length) minN = 0;

  const requested = [...new Set(opts.ks ?? Array.from({ length: minN }, (_, i) => i + 1))].sort((a, b) => a - b);
  for (const k of requested) if (!Number.isInteger(k) || k < 1) throw new RangeError(`pass@k: k must be a whole number ≥ 1 (got ${k})`);
  const ks = requested.filter((k) => k <= minN);
  const skippedK = requested.filter((k) => k > minN);
  const sums = new Float64Array(ks.length);
  if (ks.length) {
    const memo = new PassAtKMemo(ks);
    for (const t of perTask) {
      const row = memo.row(t.n, t.c);
      for (let j = 0; j < ks.length; j++) sums[j]! += row[j]!;
    }
  }
  const share = (a: number, b: number) => (b ? a / b : 0);
  const shareOrNull = (a: number, b: number) => (b ? a / b : null);

  return {
    tasks: perTask.length,
    samples,
    minN,
    maxN,
    passAtK: ks.map((k, j) => ({ k, value: sums[j]! / perTask.length })),
    skippedK,
    solvedAny: share(solved, perTask.length),
    samplePassRate: share(passed, samples),
    greedyAccuracy: perTask.length && maxN === 1 ? solved / perTask.length : null,
    verdicts,
    shownPassRate: share(shownPassed, samples),
    hidden: {
      samples: hSamples,
      tasks: hiddenTasks,
      passRate: shareOrNull(hPassed, hSamples),
      passRateGivenShown: shareOrNull(hShownAndHidden, hShown),
      shownPassRate: shareOrNull(hShown, hSamples),
      shownNotHidden,
      tasksShownNotHidden,
    },
    perTask,
  };
}
