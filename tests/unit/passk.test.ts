import { describe, expect, it } from "vitest";
import { passAtK, passesShownFailsHidden, scoreSamples, type SampleOutcome } from "../../src/lib/eval/passk.ts";
import type { VerdictRecord } from "../../src/lib/runs/types.ts";
import type { VerdictKind } from "../../src/lib/python/types.ts";

// --- Exact reference: 1 − C(n−c, k)/C(n, k) with BigInt binomials -------------------------------

const FACT: bigint[] = [1n];
for (let i = 1; i <= 200; i++) FACT.push(FACT[i - 1]! * BigInt(i));
const binom = (n: number, k: number): bigint => (k < 0 || k > n ? 0n : FACT[n]! / (FACT[k]! * FACT[n - k]!));

/** The exact rational (C(n,k) − C(n−c,k)) / C(n,k), rounded to a double through 60 decimal digits. */
function exactPassAtK(n: number, c: number, k: number): number {
  const den = binom(n, k);
  const num = den - binom(n - c, k);
  const SCALE = 10n ** 60n;
  const q = (num * SCALE) / den;
  // Split so each part converts to a double exactly enough (≤ 2^-52 relative error each).
  const hi = q / 10n ** 30n;
  const lo = q % 10n ** 30n;
  return Number(hi) / 1e30 + Number(lo) / 1e60;
}

describe("pass@k for one task", () => {
  it("equals the exact value over a grid of (n, c, k) with n up to 200, within 1e-12", () => {
    const ns = [1, 2, 3, 4, 5, 7, 10, 16, 20, 32, 50, 64, 80, 100, 128, 150, 199, 200];
    let checked = 0;
    let worst = 0;
    for (const n of ns) {
      const cs = n <= 50 ? Array.from({ length: n + 1 }, (_, i) => i) : [0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, n - 3, n - 1, n].filter((c) => c <= n);
      const ks = n <= 20 ? Array.from({ length: n }, (_, i) => i + 1) : [1, 2, 3, 5, 10, 20, 25, 50, 75, 100, 150, 199, 200].filter((k) => k <= n);
      for (const c of cs)
        for (const k of ks) {
          const want = exactPassAtK(n, c, k);
          const got = passAtK(n, c, k);
          const err = Math.abs(got - want);
          worst = Math.max(worst, err);
          if (err > 1e-12) expect({ n, c, k, got }).toEqual({ n, c, k, got: want });
          checked++;
        }
    }
    expect(checked).toBeGreaterThan(2000);
    expect(worst).toBeLessThan(1e-12);
  });

  it("has the boundary values the estimator must have", () => {
    expect(passAtK(10, 0, 1)).toBe(0);
    expect(passAtK(10, 10, 10)).toBe(1);
    expect(passAtK(10, 3, 1)).toBeCloseTo(0.3, 15);
    expect(passAtK(200, 1, 200)).toBe(1);
    // n − c < k: every draw of k samples holds a correct one.
    expect(passAtK(5, 3, 3)).toBe(1);
    // Monotone in k and in c.
    for (let k = 1; k < 50; k++) expect(passAtK(50, 4, k + 1)).toBeGreaterThanOrEqual(passAtK(50, 4, k));
    for (let c = 0; c < 50; c++) expect(passAtK(50, c + 1, 10)).toBeGreaterThanOrEqual(passAtK(50, c, 10));
  });

  it("refuses k > n and other impossible inputs, saying what to do", () => {
    expect(() => passAtK(5, 1, 6)).toThrow(/skip any k larger than the samples per task/);
    expect(() => passAtK(5, 6, 1)).toThrow(RangeError);
    expect(() => passAtK(0, 0, 1)).toThrow(RangeError);
    expect(() => passAtK(5, 1, 0)).toThrow(RangeError);
    expect(() => passAtK(5, 1.5, 1)).toThrow(RangeError);
  });
});

// --- Aggregates ---------------------------------------------------------------------------------

const sample = (taskId: string, kind: VerdictKind, over: Partial<SampleOutcome> = {}): SampleOutcome => ({
  taskId,
  kind,
  shownPassed: kind === "passed",
  hiddenPassed: kind === "passed",
  hasHidden: false,
  ...over,
});

/** n samples for a task, the first c passing, the rest `kind`. */
const task = (taskId: string, n: number, c: number, kind: VerdictKind = "failed", over: Partial<SampleOutcome> = {}): SampleOutcome[] =>
  Array.from({ length: n }, (_, i) => (i < c ? sample(taskId, "passed", over) : sample(taskId, kind, over)));

describe("scores over a run", () => {
  it("averages pass@k over tasks and gives the paper's two measures", () => {
    const records = [...task("a", 5, 0), ...task("b", 5, 1, "error"), ...task("c", 5, 3, "timeout"), ...task("d", 5, 5)];
    const s = scoreSamples(records);
    expect(s.tasks).toBe(4);
    expect(s.samples).toBe(20);
    expect(s.passAtK.map((p) => p.k)).toEqual([1, 2, 3, 4, 5]);
    for (const { k, value } of s.passAtK) {
      const want = (exactPassAtK(5, 0, k) + exactPassAtK(5, 1, k) + exactPassAtK(5, 3, k) + exactPassAtK(5, 5, k)) / 4;
      expect(Math.abs(value - want)).toBeLessThan(1e-12);
    }
    expect(s.passAtK[0]!.value).toBeCloseTo((0 + 0.2 + 0.6 + 1) / 4, 14);
    expect(s.solvedAny).toBe(3 / 4);
    expect(s.samplePassRate).toBe(9 / 20);
    expect(s.verdicts).toEqual({ passed: 9, failed: 5, error: 4, syntax_error: 0, timeout: 2, resource: 0, sandbox_crash: 0 });
    expect(s.greedyAccuracy).toBeNull();
    expect(s.perTask.map((t) => [t.taskId, t.n, t.c])).toEqual([
      ["a", 5, 0],
      ["b", 5, 1],
      ["c", 5, 3],
      ["d", 5, 5],
    ]);
  });

  it("reports a k only when every task has at least k samples (as human-eval does)", () => {
    const s = scoreSamples([...task("a", 10, 2), ...task("b", 4, 1)], { ks: [1, 5, 10, 100, 1] });
    expect(s.minN).toBe(4);
    expect(s.maxN).toBe(10);
    expect(s.passAtK.map((p) => p.k)).toEqual([1]);
    expect(s.skippedK).toEqual([5, 10, 100]);
    expect(s.passAtK[0]!.value).toBeCloseTo((0.2 + 0.25) / 2, 14);
    expect(() => scoreSamples(task("a", 3, 1), { ks: [0] })).toThrow(RangeError);
  });

  it("gives greedy accuracy when every task has one sample", () => {
    const s = scoreSamples([...task("a", 1, 1), ...task("b", 1, 0), ...task("c", 1, 1), ...task("d", 1, 0, "syntax_error")]);
    expect(s.greedyAccuracy).toBe(0.5);
    expect(s.passAtK).toEqual([{ k: 1, value: 0.5 }]);
  });

  it("separates shown from hidden tests and flags samples that pass only what they were shown", () => {
    const h = { hasHidden: true };
    const records: SampleOutcome[] = [
      sample("11", "passed", h),
      sample("11", "failed", { ...h, shownPassed: true, hiddenPassed: false }),
      sample("11", "failed", { ...h, shownPassed: true, hiddenPassed: false }),
      sample("11", "failed", { ...h, shownPassed: false, hiddenPassed: true }),
      sample("16", "failed", { ...h, shownPassed: false, hiddenPassed: false }),
      sample("12", "passed"),
      sample("12", "failed", { shownPassed: false, hiddenPassed: true }),
    ];
    expect(records.filter(passesShownFailsHidden)).toHaveLength(2);
    const s = scoreSamples(records);
    expect(s.shownPassRate).toBe(4 / 7);
    expect(s.hidden).toEqual({
      samples: 5,
      tasks: 2,
      passRate: 2 / 5,
      passRateGivenShown: 1 / 3,
      shownPassRate: 3 / 5,
      shownNotHidden: 2,
      tasksShownNotHidden: 1,
    });
    expect(s.perTask.find((t) => t.taskId === "11")).toMatchObject({ n: 4, c: 1, shownPassed: 3, withHidden: 4, hiddenPassed: 2, shownNotHidden: 2 });
  });

  it("handles an empty run", () => {
    const s = scoreSamples([]);
    expect(s).toMatchObject({ tasks: 0, samples: 0, minN: 0, passAtK: [], solvedAny: 0, samplePassRate: 0, greedyAccuracy: null });
    expect(s.hidden.passRate).toBeNull();
  });

  it("takes stored VerdictRecords as they are", () => {
    const stored: VerdictRecord[] = [
      {
        runId: "r",
        taskId: "11",
        sampleIndex: 0,
        kind: "passed",
        shownPassed: true,
        hiddenPassed: true,
        hasHidden: true,
        tests: [],
        stdout: "",
        stderr: "",
        truncated: false,
        durationMs: 3,
        timeoutMs: 10_000,
        createdAt: 0,
      },
    ];
    expect(scoreSamples(stored).solvedAny).toBe(1);
  });

  it("scores 40,000 samples in a few milliseconds", () => {
    // 500 tasks × 80 samples, the paper's setting, with a deterministic spread of pass counts.
    const kinds: VerdictKind[] = ["failed", "error", "syntax_error", "timeout"];
    const records: SampleOutcome[] = [];
    let x = 12345;
    for (let t = 0; t < 500; t++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const c = x % 81;
      for (let i = 0; i < 80; i++) records.push(sample(String(t + 11), i < c ? "passed" : kinds[i % 4]!, { hasHidden: t % 45 === 0 }));
    }
    for (let w = 0; w < 5; w++) scoreSamples(records); // warm up the JIT
    const times: number[] = [];
    let s = scoreSamples(records);
    for (let r = 0; r < 7; r++) {
      const t0 = performance.now();
      s = scoreSamples(records);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const median = times[3]!;
    console.log(`scoreSamples: 40,000 samples, pass@1..80, median ${median.toFixed(2)} ms`);
    expect(s.samples).toBe(40_000);
    expect(s.passAtK).toHaveLength(80);
    expect(median).toBeLessThan(40);
  });
});
