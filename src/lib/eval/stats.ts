import { passAtK } from "./passk.ts";

/**
 * # Uncertainty for the paper's measures
 *
 * ```ts
 * const band = bootstrapPassAtK(score.perTask, [1, 10], { seed: 1 });   // [{ k, value, lo, hi }]
 * const m = mcnemar(aOnly, bOnly);                                      // m.p (exact), m.midP, m.chiSquareP
 * const d = pairedBootstrapPassAtK(pairs, [1], { seed: 1 });            // B − A with an interval
 * ```
 *
 * Tasks are the unit of resampling: a benchmark is a sample of tasks, and a task's samples are not
 * independent of each other (they share the task's difficulty). Every resampling is driven by a
 * seeded PRNG, so the same inputs and seed always give the same interval.
 */

/** Tasks, as `scoreSamples` reports them: samples with a verdict and how many of them passed. */
export interface TaskCount {
  taskId: string;
  n: number;
  c: number;
}

export interface BootstrapOptions {
  /** Resamples of the task set (default 1000). */
  resamples?: number;
  /** PRNG seed (default 1): the same seed gives the same interval. */
  seed?: number;
  /** Coverage of the interval (default 0.95). */
  level?: number;
}

export class StatsInputError extends Error {
  constructor(what: string) {
    super(`Statistics: ${what}`);
    this.name = "StatsInputError";
  }
}

/** mulberry32: a small, well-mixed 32-bit PRNG with uniform output in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Linear-interpolation quantile (R's type 7, numpy's default) of an ascending array. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (!n) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

function resolve(opts: BootstrapOptions): { resamples: number; seed: number; level: number } {
  const resamples = opts.resamples ?? 1000;
  const level = opts.level ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1) throw new StatsInputError(`the number of resamples must be a whole number ≥ 1 (got ${resamples})`);
  if (!(level > 0 && level < 1)) throw new StatsInputError(`the interval's level must lie strictly between 0 and 1 (got ${level})`);
  return { resamples, seed: opts.seed ?? 1, level };
}

/**
 * Tasks as distinct rows of values plus, per task, which row it has. Tasks with the same scores
 * share a row (with n samples there are at most n + 1 distinct pass@k rows), which makes each
 * resample cost O(tasks + distinct rows × columns) instead of O(tasks × columns).
 */
class RowTable {
  readonly rowOf: Int32Array;
  readonly values: number[] = [];
  readonly #index = new Map<string, number>();
  constructor(
    tasks: number,
    readonly columns: number,
  ) {
    this.rowOf = new Int32Array(tasks);
  }
  /** Registers task `i` with the row `key` identifies; `make` computes the row the first time. */
  set(i: number, key: string, make: () => number[]): void {
    let r = this.#index.get(key);
    if (r === undefined) {
      r = this.#index.size;
      this.#index.set(key, r);
      this.values.push(...make());
    }
    this.rowOf[i] = r;
  }
  get rows(): number {
    return this.#index.size;
  }
  /** Column means over all tasks, as observed. */
  means(): Float64Array {
    const m = new Float64Array(this.columns);
    for (const r of this.rowOf) for (let j = 0; j < this.columns; j++) m[j]! += this.values[r * this.columns + j]!;
    for (let j = 0; j < this.columns; j++) m[j]! /= this.rowOf.length;
    return m;
  }
}

/**
 * Resamples tasks with replacement and returns, for each column, the ascending means of every
 * resample. One PRNG draw per task per resample, shared by all columns, so the columns' intervals
 * come from the same resampled task sets.
 */
function bootstrapColumnMeans(table: RowTable, resamples: number, seed: number): Float64Array[] {
  const rnd = seededRandom(seed);
  const { rowOf, columns } = table;
  const values = Float64Array.from(table.values);
  const tasks = rowOf.length;
  const rows = table.rows;
  const out = Array.from({ length: columns }, () => new Float64Array(resamples));
  const counts = new Float64Array(rows);
  for (let b = 0; b < resamples; b++) {
    counts.fill(0);
    for (let i = 0; i < tasks; i++) counts[rowOf[Math.floor(rnd() * tasks)]!]!++;
    for (let j = 0; j < columns; j++) {
      let sum = 0;
      for (let r = 0; r < rows; r++) sum += counts[r]! * values[r * columns + j]!;
      out[j]![b] = sum / tasks;
    }
  }
  for (const col of out) col.sort();
  return out;
}

export interface Interval {
  /** The estimate on the data as observed. */
  value: number;
  /** Percentile bootstrap interval. */
  lo: number;
  hi: number;
}

/** pass@k for each k with a percentile bootstrap interval over tasks. ks above the fewest samples of any task are left out. */
export function bootstrapPassAtK(tasks: readonly TaskCount[], ks: readonly number[], opts: BootstrapOptions = {}): ({ k: number } & Interval)[] {
  const { resamples, seed, level } = resolve(opts);
  if (!tasks.length) return [];
  const minN = Math.min(...tasks.map((t) => t.n));
  const usable = [...new Set(ks)].filter((k) => Number.isInteger(k) && k >= 1 && k <= minN).sort((a, b) => a - b);
  const table = new RowTable(tasks.length, usable.length);
  tasks.forEach((t, i) => table.set(i, `${t.n}/${t.c}`, () => usable.map((k) => passAtK(t.n, t.c, k))));
  const means = table.means();
  const dist = bootstrapColumnMeans(table, resamples, seed);
  const a = (1 - level) / 2;
  return usable.map((k, j) => ({ k, value: means[j]!, lo: quantileSorted(dist[j]!, a), hi: quantileSorted(dist[j]!, 1 - a) }));
}

/** Mean of `values` with a percentile bootstrap interval (each value is one task). */
export function bootstrapMean(values: readonly number[], opts: BootstrapOptions = {}): Interval {
  const { resamples, seed, level } = resolve(opts);
  if (!values.length) throw new StatsInputError("the mean of no values has no interval; give at least one task");
  const table = new RowTable(values.length, 1);
  values.forEach((v, i) => table.set(i, String(v), () => [v]));
  const [dist] = bootstrapColumnMeans(table, resamples, seed);
  const a = (1 - level) / 2;
  return { value: values.reduce((s, v) => s + v, 0) / values.length, lo: quantileSorted(dist!, a), hi: quantileSorted(dist!, 1 - a) };
}

/** One task scored in two runs. */
export interface PairedTask {
  taskId: string;
  a: { n: number; c: number };
  b: { n: number; c: number };
}

export interface PairedDifference extends Interval {
  k: number;
  /** pass@k of A and of B on the shared tasks. */
  a: number;
  b: number;
  /**
   * Two-sided bootstrap p-value for "no difference": twice the smaller share of resampled
   * differences on either side of zero (at least 1 / resamples, never above 1).
   */
  p: number;
  resamples: number;
  level: number;
}

/**
 * Paired bootstrap of pass@k(B) − pass@k(A) over shared tasks: each resample draws tasks with
 * replacement and keeps both runs' scores of a drawn task together, so task difficulty (which
 * both runs share) cancels out of the difference.
 */
export function pairedBootstrapPassAtK(pairs: readonly PairedTask[], ks: readonly number[], opts: BootstrapOptions = {}): PairedDifference[] {
  const { resamples, seed, level } = resolve(opts);
  if (!pairs.length) return [];
  const minN = Math.min(...pairs.map((p) => Math.min(p.a.n, p.b.n)));
  const usable = [...new Set(ks)].filter((k) => Number.isInteger(k) && k >= 1 && k <= minN).sort((x, y) => x - y);
  const K = usable.length;
  // Columns 0…K−1: pass@k of A; K…2K−1: of B; 2K…3K−1: B − A (the one resampled for the interval).
  const table = new RowTable(pairs.length, 3 * K);
  pairs.forEach((p, i) =>
    table.set(i, `${p.a.n}/${p.a.c}/${p.b.n}/${p.b.c}`, () => {
      const va = usable.map((k) => passAtK(p.a.n, p.a.c, k));
      const vb = usable.map((k) => passAtK(p.b.n, p.b.c, k));
      return [...va, ...vb, ...vb.map((v, j) => v - va[j]!)];
    }),
  );
  const means = table.means();
  const meanA = means.subarray(0, K);
  const meanB = means.subarray(K, 2 * K);
  const dist = bootstrapColumnMeans(table, resamples, seed).slice(2 * K);
  const a = (1 - level) / 2;
  return usable.map((k, j) => {
    const d = dist[j]!;
    let below = 0;
    let above = 0;
    for (const v of d) {
      if (v <= 0) below++;
      if (v >= 0) above++;
    }
    const p = Math.min(1, Math.max(1 / resamples, (2 * Math.min(below, above)) / resamples));
    return { k, a: meanA[j]!, b: meanB[j]!, value: meanB[j]! - meanA[j]!, lo: quantileSorted(d, a), hi: quantileSorted(d, 1 - a), p, resamples, level };
  });
}

/** log(C(n, i) / 2^n) for i = 0…n, built by the pmf recurrence in log space (no overflow for any n). */
function logHalfBinomialPmf(n: number): Float64Array {
  const out = new Float64Array(n + 1);
  out[0] = -n * Math.LN2;
  for (let i = 0; i < n; i++) out[i + 1] = out[i]! + Math.log((n - i) / (i + 1));
  return out;
}

function logSumExp(xs: ArrayLike<number>, from: number, to: number): number {
  let m = -Infinity;
  for (let i = from; i <= to; i++) if (xs[i]! > m) m = xs[i]!;
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (let i = from; i <= to; i++) s += Math.exp(xs[i]! - m);
  return m + Math.log(s);
}

/** Upper tail of χ² with one degree of freedom: P(χ² ≥ x) = erfc(√(x/2)). */
export function chiSquare1Tail(x: number): number {
  if (x <= 0) return 1;
  return erfc(Math.sqrt(x / 2));
}

/** erfc by the Numerical Recipes Chebyshev fit (`erfcc`), fractional error below 1.2e-7 everywhere. */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

export interface McNemarResult {
  /** Pairs where only A succeeded, and only B. */
  aOnly: number;
  bOnly: number;
  /** Exact two-sided p-value: 2 · P(X ≤ min(aOnly, bOnly)) for X ~ Binomial(aOnly + bOnly, ½), capped at 1. The one we report. */
  p: number;
  /** Mid-p variant (exact minus half the probability of the observed split), less conservative. */
  midP: number;
  /** χ² with Edwards' continuity correction, (|b − c| − 1)² / (b + c), and its p-value; for comparison with older papers. */
  chiSquare: number;
  chiSquareP: number;
}

/**
 * McNemar's test on paired binary outcomes (did task t succeed in A, in B?). Only discordant
 * pairs carry information. We report the exact binomial test: benchmark subsets are small and
 * the χ² approximation is poor when aOnly + bOnly is below about 25.
 */
export function mcnemar(aOnly: number, bOnly: number): McNemarResult {
  for (const [name, v] of [
    ["A-only", aOnly],
    ["B-only", bOnly],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new StatsInputError(`McNemar needs whole, non-negative counts of discordant tasks (${name} was ${v})`);
  }
  const n = aOnly + bOnly;
  if (n === 0) return { aOnly, bOnly, p: 1, midP: 1, chiSquare: 0, chiSquareP: 1 };
  const lp = logHalfBinomialPmf(n);
  const m = Math.min(aOnly, bOnly);
  const tail = Math.exp(logSumExp(lp, 0, m));
  const at = Math.exp(lp[m]!);
  const p = Math.min(1, 2 * tail);
  const midP = Math.min(1, 2 * (tail - at / 2));
  const chiSquare = Math.max(0, Math.abs(aOnly - bOnly) - 1) ** 2 / n;
  return { aOnly, bOnly, p, midP, chiSquare, chiSquareP: chiSquare1Tail(chiSquare) };
}

/** "0.031", "< 0.001": p-values as people read them. */
export function formatP(p: number): string {
  if (p < 0.001) return "< 0.001";
  if (p >= 0.995) return "1";
  return p < 0.01 ? p.toFixed(3) : p.toFixed(2);
}

/** The McNemar result in words, for the compare page. */
export function describeMcNemar(r: McNemarResult, names: { a: string; b: string } = { a: "A", b: "B" }): string {
  const n = r.aOnly + r.bOnly;
  if (n === 0) return `No task was solved by one run and not the other, so the runs cannot be told apart on these tasks.`;
  const lead = r.bOnly > r.aOnly ? `${names.b} solved ${r.bOnly - r.aOnly} more` : r.aOnly > r.bOnly ? `${names.a} solved ${r.aOnly - r.bOnly} more` : "Both solved the same number of";
  const verdict =
    r.p < 0.05
      ? `a split this uneven would happen by chance with probability ${formatP(r.p)} if the runs were equally good, so the difference is unlikely to be noise (p < 0.05)`
      : `a split at least this uneven would happen by chance with probability ${formatP(r.p)} even if the runs were equally good, so this is not evidence of a difference`;
  return `${lead} tasks (${r.aOnly} solved by ${names.a} only, ${r.bOnly} by ${names.b} only): ${verdict} (exact McNemar test, two-sided).`;
}

const pct = (v: number) => `${(v * 100).toFixed(1)}`;
const signedPct = (v: number) => `${v >= 0 ? "+" : "−"}${pct(Math.abs(v))}`;

/** The paired bootstrap result in words. */
export function describePairedDifference(d: PairedDifference, names: { a: string; b: string } = { a: "A", b: "B" }): string {
  const lvl = Math.round(d.level * 100);
  const range = `${signedPct(d.lo)} to ${signedPct(d.hi)} points`;
  const where =
    d.lo > 0
      ? `the whole interval is above zero: ${names.b} is better beyond resampling noise`
      : d.hi < 0
        ? `the whole interval is below zero: ${names.a} is better beyond resampling noise`
        : `the interval includes zero: the data are consistent with no difference`;
  return `pass@${d.k}: ${names.a} ${pct(d.a)}%, ${names.b} ${pct(d.b)}%, difference ${names.b} − ${names.a} = ${signedPct(d.value)} points; ${lvl}% bootstrap interval over tasks ${range}; ${where} (bootstrap p ${d.p < 0.001 ? "<" : "≈"} ${formatP(d.p).replace("< ", "")}, ${d.resamples} resamples).`;
}
