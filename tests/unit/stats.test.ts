import { describe, expect, it } from "vitest";
import { passAtK } from "../../src/lib/eval/passk.ts";
import {
  bootstrapMean,
  bootstrapPassAtK,
  chiSquare1Tail,
  describeMcNemar,
  describePairedDifference,
  mcnemar,
  pairedBootstrapPassAtK,
  quantileSorted,
  seededRandom,
  StatsInputError,
} from "../../src/lib/eval/stats.ts";

// ---- independent references -------------------------------------------------------------------

function binomBig(n: number, k: number): bigint {
  let r = 1n;
  for (let i = 0; i < k; i++) r = (r * BigInt(n - i)) / BigInt(i + 1);
  return r;
}

/** a / b as a float, exactly rounded enough for 1e-12 relative checks, without overflowing a double. */
function ratio(a: bigint, b: bigint): number {
  const SCALE = 10n ** 30n;
  return Number((a * SCALE) / b) / 1e30;
}

/** Exact two-sided McNemar p = min(1, 2 · Σ_{i ≤ min} C(n, i) / 2^n), in integers. */
function exactMcNemarP(b: number, c: number): number {
  const n = b + c;
  let tail = 0n;
  for (let i = 0; i <= Math.min(b, c); i++) tail += binomBig(n, i);
  return Math.min(1, ratio(2n * tail, 2n ** BigInt(n)));
}

function midMcNemarP(b: number, c: number): number {
  const n = b + c;
  const m = Math.min(b, c);
  let tail = 0n;
  for (let i = 0; i < m; i++) tail += binomBig(n, i);
  // 2 · (P(X < m) + ½ P(X = m)) = (2 · Σ_{i<m} C + C(n, m)) / 2^n
  return Math.min(1, ratio(2n * tail + binomBig(n, m), 2n ** BigInt(n)));
}

/** P(χ²₁ ≥ x) = 2 (1 − Φ(√x)), Φ by Simpson's rule on the normal density (independent of erfc). */
function chiSquareTailBySimpson(x: number): number {
  const z = Math.sqrt(x);
  const steps = 20000;
  const h = z / steps;
  const f = (t: number) => Math.exp((-t * t) / 2) / Math.sqrt(2 * Math.PI);
  let s = f(0) + f(z);
  for (let i = 1; i < steps; i++) s += (i % 2 ? 4 : 2) * f(i * h);
  const half = (s * h) / 3; // Φ(z) − ½
  return 2 * (0.5 - half);
}

// ---- McNemar ----------------------------------------------------------------------------------

describe("McNemar's test", () => {
  it("gives the exact binomial p-value (checked with BigInt binomials)", () => {
    for (const [b, c] of [
      [7, 1],
      [1, 7],
      [3, 0],
      [10, 10],
      [12, 5],
      [150, 86],
      [40, 80],
      [600, 520],
      [1500, 1380],
    ] as const) {
      const r = mcnemar(b, c);
      const ref = exactMcNemarP(b, c);
      expect(Math.abs(r.p - ref) / ref, `p for ${b}/${c}`).toBeLessThan(1e-9);
      const refMid = midMcNemarP(b, c);
      expect(Math.abs(r.midP - refMid) / refMid, `mid-p for ${b}/${c}`).toBeLessThan(1e-9);
    }
  });

  it("matches small cases worked by hand", () => {
    // 7 vs 1: 2 · (1 + 8) / 256. The e2e comparison of fixture runs checks the page shows this.
    expect(mcnemar(7, 1).p).toBeCloseTo(18 / 256, 14);
    expect(mcnemar(3, 0).p).toBeCloseTo(0.25, 14);
    expect(mcnemar(0, 0).p).toBe(1);
    expect(mcnemar(5, 5).p).toBe(1);
  });

  it("computes χ² with continuity correction as in Agresti's approval-rating example (150 vs 86)", () => {
    const r = mcnemar(150, 86);
    expect(r.chiSquare).toBeCloseTo(63 ** 2 / 236, 12); // 16.818
    expect(r.chiSquare).toBeCloseTo(16.818, 3);
    expect(Math.abs(r.chiSquareP - chiSquareTailBySimpson(r.chiSquare)) / r.chiSquareP).toBeLessThan(1e-5);
    expect(chiSquare1Tail(3.841458820694124)).toBeCloseTo(0.05, 6); // the 5% critical value
  });

  it("refuses counts that are not whole and non-negative", () => {
    expect(() => mcnemar(-1, 3)).toThrow(StatsInputError);
    expect(() => mcnemar(1.5, 3)).toThrow(/whole, non-negative/);
  });

  it("says what the p-value means in words", () => {
    expect(describeMcNemar(mcnemar(7, 1))).toMatch(/A solved 6 more tasks .*probability 0\.07 even if the runs were equally good.*not evidence/);
    expect(describeMcNemar(mcnemar(30, 5))).toMatch(/unlikely to be noise/);
    expect(describeMcNemar(mcnemar(0, 0))).toMatch(/cannot be told apart/);
  });
});

// ---- bootstrap --------------------------------------------------------------------------------

const popVar = (xs: number[]) => {
  const m = xs.reduce((s, v) => s + v, 0) / xs.length;
  return xs.reduce((s, v) => s + (v - m) ** 2, 0) / xs.length;
};

describe("bootstrap over tasks", () => {
  it("is reproducible from its seed and changes with it", () => {
    const xs = Array.from({ length: 50 }, (_, i) => (i * 37) % 11);
    expect(bootstrapMean(xs, { seed: 7 })).toEqual(bootstrapMean(xs, { seed: 7 }));
    expect(bootstrapMean(xs, { seed: 7 })).not.toEqual(bootstrapMean(xs, { seed: 8 }));
    const r = seededRandom(3);
    const draws = Array.from({ length: 10000 }, r);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    expect(draws.reduce((s, v) => s + v, 0) / draws.length).toBeCloseTo(0.5, 1);
  });

  it("has the closed-form spread: the bootstrap means' variance is the plug-in variance over T", () => {
    const xs = Array.from({ length: 40 }, (_, i) => ((i * 7919) % 13) / 13);
    const T = xs.length;
    // The percentile interval of a near-normal mean is mean ± 1.96 · sd; sd = √(popVar / T).
    const sd = Math.sqrt(popVar(xs) / T);
    const r = bootstrapMean(xs, { resamples: 40000, seed: 11 });
    const mean = xs.reduce((s, v) => s + v, 0) / T;
    expect(r.value).toBeCloseTo(mean, 12);
    expect((r.hi - r.lo) / (2 * 1.959964 * sd)).toBeGreaterThan(0.95);
    expect((r.hi - r.lo) / (2 * 1.959964 * sd)).toBeLessThan(1.05);
    expect((r.lo + r.hi) / 2).toBeCloseTo(mean, 2);
  });

  it("reaches the enumerable extremes of a two-task set", () => {
    // Means of resamples of {0, 1} are 0, ½, 1 with probabilities ¼, ½, ¼: the 95% interval is [0, 1].
    const r = bootstrapMean([0, 1], { resamples: 4000, seed: 1 });
    expect(r).toEqual({ value: 0.5, lo: 0, hi: 1 });
    // A 40% interval lies inside the middle half: exactly ½.
    expect(bootstrapMean([0, 1], { resamples: 4000, seed: 1, level: 0.4 })).toEqual({ value: 0.5, lo: 0.5, hi: 0.5 });
  });

  it("interpolates quantiles as numpy does by default", () => {
    expect(quantileSorted([1, 2, 3, 4], 0.25)).toBe(1.75);
    expect(quantileSorted([1, 2, 3, 4], 1)).toBe(4);
    expect(quantileSorted([5], 0.3)).toBe(5);
  });

  it("bands pass@k around the unbiased estimate, for every k up to the fewest samples", () => {
    const tasks = Array.from({ length: 30 }, (_, i) => ({ taskId: String(i), n: i === 0 ? 5 : 10, c: i % 6 }));
    const band = bootstrapPassAtK(tasks, [1, 2, 5, 10], { seed: 3 });
    expect(band.map((b) => b.k)).toEqual([1, 2, 5]);
    for (const b of band) {
      const exact = tasks.reduce((s, t) => s + passAtK(t.n, t.c, b.k), 0) / tasks.length;
      expect(b.value).toBeCloseTo(exact, 12);
      expect(b.lo).toBeLessThanOrEqual(b.value);
      expect(b.hi).toBeGreaterThanOrEqual(b.value);
    }
    expect(band[2]!.value).toBeGreaterThan(band[0]!.value);
    expect(bootstrapPassAtK([], [1])).toEqual([]);
    expect(() => bootstrapPassAtK(tasks, [1], { resamples: 0 })).toThrow(StatsInputError);
  });

  it("pairs tasks: identical runs differ by exactly zero, a uniform shift by exactly the shift", () => {
    const pairs = Array.from({ length: 25 }, (_, i) => ({ taskId: String(i), a: { n: 4, c: i % 5 }, b: { n: 4, c: i % 5 } }));
    const [same] = pairedBootstrapPassAtK(pairs, [1], { seed: 2 });
    expect(same).toMatchObject({ k: 1, value: 0, lo: 0, hi: 0, p: 1 });

    // B solves exactly one more sample of 4 on every task: every resample's difference is ¼.
    const shifted = Array.from({ length: 25 }, (_, i) => ({ taskId: String(i), a: { n: 4, c: i % 4 }, b: { n: 4, c: (i % 4) + 1 } }));
    const [d] = pairedBootstrapPassAtK(shifted, [1], { seed: 2, resamples: 500 });
    expect(d!.value).toBeCloseTo(0.25, 12);
    expect(d!.lo).toBeCloseTo(0.25, 12);
    expect(d!.hi).toBeCloseTo(0.25, 12);
    expect(d!.p).toBe(1 / 500);
    expect(describePairedDifference(d!)).toMatch(/pass@1: A 36\.0%, B 61\.0%, difference B − A = \+25\.0 points.*above zero/);
  });

  it("pairs tasks: the difference's spread is the closed-form paired one, not the unpaired one", () => {
    // Hard and easy tasks (shared difficulty) with a small, noisy improvement.
    const pairs = Array.from({ length: 60 }, (_, i) => {
      const base = i % 3 === 0 ? 0 : i % 3 === 1 ? 5 : 10;
      const shift = i % 4 === 0 ? -1 : i % 4 === 1 ? 2 : 0;
      return { taskId: String(i), a: { n: 10, c: base }, b: { n: 10, c: Math.min(10, Math.max(0, base + shift)) } };
    });
    const diffs = pairs.map((p) => p.b.c / 10 - p.a.c / 10);
    const sd = Math.sqrt(popVar(diffs) / pairs.length);
    const [d] = pairedBootstrapPassAtK(pairs, [1], { seed: 5, resamples: 40000 });
    const width = d!.hi - d!.lo;
    expect(width / (2 * 1.959964 * sd)).toBeGreaterThan(0.93);
    expect(width / (2 * 1.959964 * sd)).toBeLessThan(1.07);
    // Unpaired, task difficulty would dominate: its spread is many times wider.
    const unpairedSd = Math.sqrt(popVar(pairs.map((p) => p.a.c / 10)) / 60 + popVar(pairs.map((p) => p.b.c / 10)) / 60);
    expect(unpairedSd).toBeGreaterThan(3 * sd);
  });
});
