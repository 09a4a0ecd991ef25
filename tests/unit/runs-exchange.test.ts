import "fake-indexeddb/auto";
import { beforeAll, describe, expect, it } from "vitest";
import { referenceSource, ReplayEngine, parseSamplesJsonl } from "../../src/lib/engines/replay.ts";
import { defaultPromptSpec } from "../../src/lib/prompts/types.ts";
import { openPlaygroundDB } from "../../src/lib/runs/db.ts";
import { exportRun, importRun, parseRunExport, RunImportError, samplesJsonl } from "../../src/lib/runs/exchange.ts";
import { StorageFaults } from "../../src/lib/runs/faults.ts";
import { Runner } from "../../src/lib/runs/runner.ts";
import { buildRunSpec, engineMismatch, estimateCost, parseTaskSelection, RunDatasetMismatchError, runnerDeps, RunSpecError } from "../../src/lib/runs/spec.ts";
import { RunStore } from "../../src/lib/runs/store.ts";
import { queryRows, taskRows } from "../../src/lib/runs/table.ts";
import { scoreSamples } from "../../src/lib/eval/passk.ts";
import type { RunSpec } from "../../src/lib/runs/types.ts";
import { builtinDataset, loadBuiltinDataset, tasksInSplit } from "../../src/lib/tasks/catalog.ts";
import type { Dataset } from "../../src/lib/tasks/types.ts";
import type { Verdict } from "../../src/lib/python/types.ts";
import { datasetBytes } from "../support/datasets.ts";

let mbpp: Dataset;
let humaneval: Dataset;
beforeAll(async () => {
  mbpp = await loadBuiltinDataset(builtinDataset("mbpp")!, datasetBytes("mbpp.jsonl"));
  humaneval = await loadBuiltinDataset(builtinDataset("humaneval")!, datasetBytes("HumanEval.jsonl"));
});

const form = () => ({
  dataset: mbpp.info, split: "test" as const, taskIds: ["11", "12", "13"], prompt: defaultPromptSpec(),
  engine: new ReplayEngine(referenceSource(mbpp)).describe(),
  sampling: { n: 2, temperature: 0.8, topP: 0.95, maxTokens: 128, repetitionPenalty: 1, baseSeed: 3 },
  timeoutMs: 3000, pyodideVersion: "314.0.7",
});

describe("building a run spec", () => {
  it("freezes the form into a spec with the dataset hash, engine and Pyodide version", () => {
    const f = form();
    const spec = buildRunSpec(f);
    expect(spec).toMatchObject({ schema: 1, dataset: { id: "mbpp", sha256: mbpp.info.sha256 }, taskIds: ["11", "12", "13"], pyodideVersion: "314.0.7", timeoutMs: 3000 });
    expect(spec.engine.modelId).toBe("replay:reference:mbpp");
    expect(spec.name).toContain("n=2");
    f.sampling.n = 9;
    f.prompt.shots = 0;
    expect(spec.sampling.n).toBe(2);
    expect(spec.prompt.shots).toBe(3);
  });

  it("lists every problem of a bad form", () => {
    const bad = { ...form(), engine: null, taskIds: [], pyodideVersion: "", sampling: { ...form().sampling, n: 0, topP: 0 } };
    expect(() => buildRunSpec(bad)).toThrow(RunSpecError);
    try {
      buildRunSpec(bad);
    } catch (e) {
      const p = (e as RunSpecError).problems.join("\n");
      for (const word of ["Engines screen", "no tasks", "samples per task", "top-p", "Python is still starting"]) expect(p).toContain(word);
    }
  });

  it("reads task subsets with ranges and reports unknown ids", () => {
    const test = tasksInSplit(mbpp.tasks, "test");
    expect(parseTaskSelection("15-12, 20 999 abc", test)).toEqual({ ids: ["12", "13", "14", "15", "20"], unknown: ["999", "abc"] });
  });

  it("estimates cost from tasks × n", () => {
    const c = estimateCost(buildRunSpec(form()), 400, { tokensPerS: 64, workers: 2 });
    expect(c).toEqual({ samples: 6, promptTokens: 600, maxCompletionTokens: 768, maxSeconds: 12, maxExecSeconds: 9 });
  });

  it("refuses another model or another dataset file when resuming", () => {
    const spec = buildRunSpec(form());
    expect(engineMismatch(spec, spec.engine)).toBeNull();
    expect(engineMismatch(spec, null)).toMatch(/load replay:reference:mbpp on the Engines screen/);
    expect(engineMismatch(spec, { ...spec.engine, modelId: "Qwen" })).toMatch(/loaded engine is Qwen/);
    const store = {} as RunStore;
    const other = { ...mbpp, info: { ...mbpp.info, sha256: "f".repeat(64) } };
    expect(() => runnerDeps({ spec, dataset: other, store, engine: new ReplayEngine(referenceSource(mbpp)), executor: { run: async () => ({}) as Verdict } })).toThrow(RunDatasetMismatchError);
  });

  it("wires HumanEval without prefixing the prompt twice", () => {
    const task = humaneval.tasks[0]!;
    const spec = buildRunSpec({ ...form(), dataset: humaneval.info, taskIds: [task.id], prompt: { ...defaultPromptSpec(), template: "humaneval", shots: 0 } });
    const deps = runnerDeps({ spec, dataset: humaneval, store: {} as RunStore, engine: new ReplayEngine(referenceSource(humaneval)), executor: { run: async () => ({}) as Verdict } });
    const { code } = deps.extract(task.reference, task);
    const program = deps.program(task, code);
    expect(program.code.split(task.prompt!.trim()).length).toBe(2);
    expect(program.code.startsWith(task.prompt!.replace(/\r\n?/g, "\n"))).toBe(true);
  });
});

async function completedRun(store: RunStore, dataset: Dataset, spec: RunSpec): Promise<string> {
  const run = await store.createRun(spec);
  const executor = { run: async (_p: unknown, o: { timeoutMs: number }): Promise<Verdict> => ({ kind: "failed", shownPassed: false, hiddenPassed: true, failedTest: 1, error: { type: "AssertionError", message: "", line: 3, traceback: "Traceback…" }, tests: [], stdout: "hi\n", stderr: "", truncated: false, durationMs: 2, timeoutMs: o.timeoutMs }) };
  const runner = new Runner(run, runnerDeps({ spec, dataset, store, engine: new ReplayEngine(referenceSource(dataset)), executor }));
  expect(await runner.start()).toBe("done");
  return run.id;
}

describe("export and import", () => {
  it("round-trips spec, samples and verdicts under a new id", async () => {
    const store = new RunStore(await openPlaygroundDB(`ex-${Math.random()}`));
    const spec = buildRunSpec({ ...form(), sampling: { ...form().sampling, n: 1 } });
    const id = await completedRun(store, mbpp, spec);
    const exported = await exportRun(store, id);
    expect(exported.samples).toHaveLength(3);
    const text = JSON.stringify(exported);
    const store2 = new RunStore(await openPlaygroundDB(`ex2-${Math.random()}`));
    const imported = await importRun(store2, text, "run.json");
    expect(imported.id).not.toBe(id);
    expect(imported).toMatchObject({ status: "done", samplesDone: 3, verdictsDone: 3 });
    expect(imported.spec).toEqual(spec);
    const strip = <T extends { runId: string }>(xs: T[]) => xs.map(({ runId: _r, ...rest }) => rest);
    expect(strip(await store2.samples(imported.id))).toEqual(strip(exported.samples));
    expect(strip(await store2.verdicts(imported.id))).toEqual(strip(exported.verdicts));
  });

  it("rejects a malformed or inconsistent file whole, saying where", async () => {
    const store = new RunStore(await openPlaygroundDB(`ex3-${Math.random()}`));
    const spec = buildRunSpec({ ...form(), sampling: { ...form().sampling, n: 1 } });
    const good = await exportRun(store, await completedRun(store, mbpp, spec));
    expect(() => parseRunExport("{oops", "a.json")).toThrow(/a.json was not imported: it is not JSON/);
    expect(() => parseRunExport(JSON.stringify({ ...good, format: "x" }))).toThrow(/format is not "synthesis-playground\/run"/);
    const badVerdict = structuredClone(good);
    (badVerdict.verdicts[0] as { kind: string }).kind = "great";
    expect(() => parseRunExport(JSON.stringify(badVerdict))).toThrow(/verdicts\.0\.kind/);
    const extra = structuredClone(good);
    extra.samples.push({ ...extra.samples[0]!, sampleIndex: 0 });
    expect(() => parseRunExport(JSON.stringify(extra))).toThrow(/samples\.3 repeats sample 1 of task 11/);
    const foreign = structuredClone(good);
    foreign.samples[1]!.taskId = "999";
    expect(() => parseRunExport(JSON.stringify(foreign))).toThrow(RunImportError);

    // A full disk mid-import stores nothing.
    const faults = new StorageFaults();
    const full = new RunStore(await openPlaygroundDB(`ex4-${Math.random()}`), { beforeWrite: faults.check });
    faults.fill();
    await expect(importRun(full, JSON.stringify(good))).rejects.toThrow(/storage for this site is full/);
    expect(await full.listRuns()).toEqual([]);
  });

  it("writes human-eval JSONL that the replay engine reads back", async () => {
    const store = new RunStore(await openPlaygroundDB(`ex5-${Math.random()}`));
    const task = humaneval.tasks[2]!;
    const spec = buildRunSpec({ ...form(), dataset: humaneval.info, taskIds: [task.id], prompt: { ...defaultPromptSpec(), template: "humaneval", shots: 0 }, sampling: { ...form().sampling, n: 1 } });
    const id = await completedRun(store, humaneval, spec);
    const jsonl = samplesJsonl(spec, await store.samples(id), await store.verdicts(id), new Map(humaneval.tasks.map((t) => [t.id, t])));
    const line = JSON.parse(jsonl.trim()) as { task_id: string; completion: string; passed: boolean; result: string };
    expect(line).toMatchObject({ task_id: task.id, passed: false, result: "failed: AssertionError: " });
    expect(line.completion.startsWith("def ")).toBe(false);
    const back = await parseSamplesJsonl(jsonl, "s.jsonl", humaneval);
    expect(back.samples.get(task.id)).toEqual([line.completion]);
  });
});

describe("per-task table", () => {
  it("filters and sorts rows, pending tasks included", () => {
    const spec = { taskIds: ["a", "b", "c", "d"] };
    const s = scoreSamples([
      { taskId: "a", kind: "passed", shownPassed: true, hiddenPassed: true, hasHidden: false },
      { taskId: "a", kind: "failed", shownPassed: false, hiddenPassed: true, hasHidden: false },
      { taskId: "b", kind: "error", shownPassed: false, hiddenPassed: true, hasHidden: false },
      { taskId: "c", kind: "passed", shownPassed: true, hiddenPassed: true, hasHidden: false },
    ]);
    const rows = taskRows(spec, s);
    const q = (over: object) => queryRows(rows, { q: "", filter: "all", sort: "order", desc: false, ...over }).map((r) => r.taskId);
    expect(q({})).toEqual(["a", "b", "c", "d"]);
    expect(q({ filter: "solved" })).toEqual(["a", "c"]);
    expect(q({ filter: "unsolved" })).toEqual(["b"]);
    expect(q({ filter: "partial" })).toEqual(["a"]);
    expect(q({ filter: "pending" })).toEqual(["d"]);
    expect(q({ filter: "error" })).toEqual(["b"]);
    expect(q({ sort: "fraction", desc: true })).toEqual(["c", "a", "b", "d"]);
    expect(q({ q: "C" })).toEqual(["c"]);
  });
});
