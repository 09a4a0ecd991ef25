import { describe, expect, it } from "vitest";
import { compareRuns, diffSpecs } from "../../src/lib/eval/compare.ts";
import type { SampleOutcome } from "../../src/lib/eval/passk.ts";
import { defaultPromptSpec } from "../../src/lib/prompts/types.ts";
import { createSweepSpecs, parameterCountB, parseSweepValues, SweepSpecError, sweepRuns } from "../../src/lib/runs/sweep.ts";
import type { RunRecord, RunSpec } from "../../src/lib/runs/types.ts";

const base: RunSpec = {
  schema: 1,
  name: "base",
  dataset: { id: "mbpp", name: "MBPP", sha256: "aaa" },
  split: "test",
  taskIds: Array.from({ length: 20 }, (_, i) => String(11 + i)),
  prompt: defaultPromptSpec(),
  engine: { kind: "webllm", modelId: "Qwen2.5-Coder-0.5B-Instruct-q4f16_1-MLC", quantisation: "q4f16_1", libraries: { "@mlc-ai/web-llm": "0.2.86" }, contextWindow: 4096 },
  sampling: { n: 1, temperature: 0, topP: 1, maxTokens: 512, repetitionPenalty: 1, baseSeed: 1 },
  timeoutMs: 10000,
  pyodideVersion: "314.0.7",
};

const outcome = (taskId: string, passed: boolean): SampleOutcome => ({ taskId, kind: passed ? "passed" : "failed", shownPassed: passed, hiddenPassed: passed, hasHidden: false });

/**
 * The composition the e2e comparison uses too: of 20 tasks with one sample each, 7 solved by A
 * only, 1 by B only, 8 by both, 4 by neither.
 */
function fixtureRuns(): { a: SampleOutcome[]; b: SampleOutcome[] } {
  const a: SampleOutcome[] = [];
  const b: SampleOutcome[] = [];
  base.taskIds.forEach((t, i) => {
    const group = i < 7 ? "aOnly" : i < 8 ? "bOnly" : i < 16 ? "both" : "neither";
    a.push(outcome(t, group === "aOnly" || group === "both"));
    b.push(outcome(t, group === "bOnly" || group === "both"));
  });
  return { a, b };
}

describe("compareRuns", () => {
  it("counts A-only, B-only, both and neither, and tests them with exact McNemar", () => {
    const { a, b } = fixtureRuns();
    const c = compareRuns(a, b, { seed: 1 });
    expect(c.counts).toEqual({ aOnly: 7, bOnly: 1, both: 8, neither: 4 });
    expect(c.groups.bOnly).toEqual(["18"]);
    expect(c.singleSample).toBe(true);
    // 2 · (C(8,0) + C(8,1)) / 2^8, the value the e2e test reads from the page.
    expect(c.mcnemar.p).toBeCloseTo(18 / 256, 14);
    expect(c.passAtK.map((d) => d.k)).toEqual([1]);
    expect(c.passAtK[0]!.value).toBeCloseTo(9 / 20 - 15 / 20, 12);
  });

  it("compares only shared tasks and reports the others", () => {
    const a = [outcome("1", true), outcome("1", false), outcome("2", false), outcome("2", false), outcome("3", true), outcome("3", true)];
    const b = [outcome("2", true), outcome("2", true), outcome("3", false), outcome("3", true), outcome("4", true), outcome("4", true)];
    const c = compareRuns(a, b, { seed: 1 });
    expect(c.onlyInA).toEqual(["1"]);
    expect(c.onlyInB).toEqual(["4"]);
    expect(c.shared.map((p) => [p.taskId, p.fracA, p.fracB, p.group])).toEqual([
      ["2", 0, 1, "bOnly"],
      ["3", 1, 0.5, "both"],
    ]);
    expect(c.singleSample).toBe(false);
    expect(c.passAtK.map((d) => d.k)).toEqual([1, 2]);
    // pass@2: A {0, 1}, B {1, 1}; pass@1: A {0, 1}, B {1, 0.5}
    expect(c.passAtK[1]!.value).toBeCloseTo(0.5, 12);
    expect(c.passAtK[0]!.value).toBeCloseTo(0.25, 12);
  });
});

describe("diffSpecs", () => {
  it("finds no warning between runs of one sweep", () => {
    const [x, y] = createSweepSpecs(base, "temperature", [0.2, 0.8], { id: "s1" });
    const d = diffSpecs(x!, y!);
    expect(d.varied).toBe("temperature");
    expect(d.differences.map((e) => e.path)).toEqual(["sampling.temperature"]);
    expect(d.warnings).toEqual([]);
  });

  it("warns when runs differ in dataset revision, time limit or prompt besides the varied parameter", () => {
    const [x, y] = createSweepSpecs(base, "temperature", [0.2, 0.8], { id: "s1" });
    const y2: RunSpec = { ...y!, dataset: { ...y!.dataset, sha256: "bbb" }, timeoutMs: 3000, prompt: { ...y!.prompt, testsShown: 1 } };
    const d = diffSpecs(x!, y2);
    expect(d.warnings[0]).toMatch(/more than the varied parameter \(temperature\)/);
    expect(d.warnings.join("\n")).toMatch(/dataset revision \(sha256\).*"aaa".*"bbb"/);
    expect(d.warnings.join("\n")).toMatch(/time limit \(timeoutMs\): A 10000, B 3000/);
    expect(d.warnings.join("\n")).toMatch(/prompt \(prompt\.testsShown\): A 3, B 1/);
    expect(d.warnings).toHaveLength(4);
  });

  it("infers the varied parameter of two unrelated runs when they differ in one thing only", () => {
    const other: RunSpec = { ...base, name: "other", engine: { ...base.engine, modelId: "Qwen2.5-Coder-1.5B-Instruct-q4f16_1-MLC" } };
    expect(diffSpecs(base, other)).toMatchObject({ varied: "model", warnings: [] });
    const worse: RunSpec = { ...other, sampling: { ...base.sampling, temperature: 0.8 } };
    const d = diffSpecs(base, worse);
    expect(d.varied).toBeUndefined();
    expect(d.warnings[0]).toMatch(/more than one thing/);
  });

  it("notes different task lists", () => {
    const fewer: RunSpec = { ...base, taskIds: base.taskIds.slice(0, 5) };
    expect(diffSpecs(base, fewer).warnings).toEqual(["The runs have different task lists: A 20 tasks, B 5 tasks (5 shared); only shared tasks are compared."]);
  });
});

describe("sweeps", () => {
  it("makes one spec per value, sharing everything else", () => {
    const specs = createSweepSpecs(base, "temperature", [0.2, 0.6, 0.8], { id: "sw" });
    expect(specs.map((s) => s.sampling.temperature)).toEqual([0.2, 0.6, 0.8]);
    expect(specs.map((s) => s.sweep)).toEqual([0.2, 0.6, 0.8].map((value) => ({ id: "sw", parameter: "temperature", value })));
    expect(specs[1]!.name).toBe("base · temperature=0.6");
    for (const s of specs) expect(diffSpecs(base, s).differences.map((d) => d.path)).toEqual(["sampling.temperature"]);
    expect(base.sampling.temperature).toBe(0);
  });

  it("varies the few-shot seed, shots, tests shown and the model", () => {
    const seeds = createSweepSpecs(base, "fewShotSeed", [1, 2]);
    expect(seeds[0]!.prompt.selection).toEqual({ kind: "seeded", seed: 1, pool: "prompt" });
    expect(seeds[0]!.sweep!.id).toBe(seeds[1]!.sweep!.id);
    expect(createSweepSpecs(base, "shots", [0, 1, 3]).map((s) => s.prompt.shots)).toEqual([0, 1, 3]);
    expect(createSweepSpecs(base, "testsShown", [0, 3]).map((s) => s.prompt.testsShown)).toEqual([0, 3]);
    const models = createSweepSpecs(base, "model", ["SmolLM2-360M-Instruct-q4f32_1-MLC", "Qwen2.5-Coder-1.5B-Instruct-q4f16_1-MLC"]);
    expect(models.map((s) => [s.engine.modelId, s.engine.quantisation])).toEqual([
      ["SmolLM2-360M-Instruct-q4f32_1-MLC", "q4f32_1"],
      ["Qwen2.5-Coder-1.5B-Instruct-q4f16_1-MLC", "q4f16_1"],
    ]);
  });

  it("refuses bad value lists with a message naming the value", () => {
    expect(() => createSweepSpecs(base, "temperature", [0.2])).toThrow(/at least two values/);
    expect(() => createSweepSpecs(base, "temperature", [0.2, 0.2])).toThrow(/listed twice/);
    expect(() => createSweepSpecs(base, "testsShown", [1, 4])).toThrow(SweepSpecError);
    expect(() => createSweepSpecs(base, "shots", [1, 1.5])).toThrow(/whole number from 0 to 10 \(got 1\.5\)/);
    expect(parseSweepValues("temperature", "0.2, 0.6 0.8")).toEqual([0.2, 0.6, 0.8]);
    expect(() => parseSweepValues("temperature", "0.2, hot")).toThrow(/"hot" is not a number/);
    expect(parseSweepValues("model", "a-1B, b-3B")).toEqual(["a-1B", "b-3B"]);
  });

  it("finds a sweep's runs in value order", () => {
    const specs = createSweepSpecs(base, "temperature", [0.8, 0.2, 0.6], { id: "sw" });
    const runs = specs.map((spec, i): RunRecord => ({ id: `r${i}`, spec, status: "done", createdAt: i, updatedAt: i, samplesDone: 0, verdictsDone: 0 }));
    const unrelated: RunRecord = { ...runs[0]!, id: "x", spec: base };
    expect(sweepRuns([unrelated, ...runs], "sw").map((r) => r.id)).toEqual(["r1", "r2", "r0"]);
  });

  it("knows parameter counts from the catalog, model cards and ids", () => {
    expect(parameterCountB({ modelId: "Qwen2.5-Coder-1.5B-Instruct-q4f16_1-MLC" })).toBe(1.54);
    expect(parameterCountB({ modelId: "bigcode/starcoder" })).toBe(15.5);
    expect(parameterCountB({ modelId: "replay:my-model-350M.jsonl" })).toBe(0.35);
    expect(parameterCountB({ modelId: "qwen2.5-coder:1.5b" })).toBe(1.5);
    expect(parameterCountB({ modelId: "Meta-Llama-3.1-8B-Instruct" })).toBe(8);
    expect(parameterCountB({ modelId: "gpt-4o" })).toBeNull();
  });
});
