import "fake-indexeddb/auto";
import { beforeAll, describe, expect, it } from "vitest";
import { referenceSource, ReplayEngine } from "../../src/lib/engines/replay.ts";
import type { Completion, GenerateRequest } from "../../src/lib/engines/types.ts";
import type { TestProgram } from "../../src/lib/eval/program.ts";
import { defaultPromptSpec } from "../../src/lib/prompts/types.ts";
import type { Verdict } from "../../src/lib/python/types.ts";
import { openPlaygroundDB } from "../../src/lib/runs/db.ts";
import { StorageFaults } from "../../src/lib/runs/faults.ts";
import { Runner, type Executor } from "../../src/lib/runs/runner.ts";
import { buildRunSpec, runnerDeps } from "../../src/lib/runs/spec.ts";
import { RunStore } from "../../src/lib/runs/store.ts";
import type { RunSpec } from "../../src/lib/runs/types.ts";
import { builtinDataset, loadBuiltinDataset, tasksInSplit } from "../../src/lib/tasks/catalog.ts";
import type { Dataset } from "../../src/lib/tasks/types.ts";
import { datasetBytes } from "../support/datasets.ts";

/**
 * Resuming: a run stopped anywhere (Pause, a closed tab, a full disk) and started again ends with
 * exactly tasks × n samples and verdicts, none generated twice. Execution is not the point here,
 * so a fake Executor judges programs by a marker in their code (the Node pool is used elsewhere).
 */

class CountingReplay extends ReplayEngine {
  readonly calls = new Map<string, number>();
  override async generate(req: GenerateRequest, signal?: AbortSignal): Promise<Completion> {
    const k = `${req.replayKey!.taskId}#${req.replayKey!.sampleIndex}`;
    this.calls.set(k, (this.calls.get(k) ?? 0) + 1);
    return super.generate(req, signal);
  }
}

/** Passes any program; counts runs per program text. */
class FakeExecutor implements Executor {
  runs = 0;
  async run(program: TestProgram, opts: { timeoutMs: number }): Promise<Verdict> {
    this.runs++;
    await new Promise((r) => setTimeout(r, 1));
    const ok = !program.code.includes("BROKEN");
    return {
      kind: ok ? "passed" : "failed", shownPassed: ok, hiddenPassed: true, tests: [], stdout: "", stderr: "",
      truncated: false, durationMs: 1, timeoutMs: opts.timeoutMs, ...(ok ? {} : { failedTest: 0 }),
    };
  }
}

let mbpp: Dataset;
let spec: RunSpec;
const N = 3;

beforeAll(async () => {
  const def = builtinDataset("mbpp")!;
  mbpp = await loadBuiltinDataset(def, datasetBytes(def.file));
  const taskIds = tasksInSplit(mbpp.tasks, "test").slice(0, 6).map((t) => t.id);
  // Every task has one reference; n = 3 replays it three times through a source with 3 copies.
  spec = buildRunSpec({
    dataset: mbpp.info, split: "test", taskIds, prompt: defaultPromptSpec(),
    engine: new ReplayEngine(referenceSource(mbpp)).describe(),
    sampling: { n: N, temperature: 0, topP: 1, maxTokens: 256, repetitionPenalty: 1, baseSeed: 7 },
    timeoutMs: 5000, pyodideVersion: "314.0.7",
  });
});

function tripled(): CountingReplay {
  const src = referenceSource(mbpp);
  const samples = new Map([...src.samples].map(([id, s]) => [id, [s[0]!, s[0]!, `${s[0]!}\n# BROKEN`]]));
  return new CountingReplay({ ...src, samples });
}

let dbn = 0;
async function freshStore(faults?: StorageFaults): Promise<{ name: string; store: RunStore }> {
  const name = `runs-resume-${++dbn}-${Math.random()}`;
  return { name, store: new RunStore(await openPlaygroundDB(name), faults ? { beforeWrite: faults.check } : {}) };
}

async function expectComplete(store: RunStore, runId: string): Promise<void> {
  const total = spec.taskIds.length * N;
  const samples = await store.samples(runId);
  const verdicts = await store.verdicts(runId);
  expect(samples).toHaveLength(total);
  expect(new Set(samples.map((s) => `${s.taskId}#${s.sampleIndex}`)).size).toBe(total);
  expect(verdicts).toHaveLength(total);
  expect(verdicts.filter((v) => v.kind === "passed")).toHaveLength(spec.taskIds.length * 2);
  const run = (await store.getRun(runId))!;
  expect(run).toMatchObject({ status: "done", samplesDone: total, verdictsDone: total });
}

describe("resuming a run", () => {
  it("after Pause continues where it stopped and generates nothing twice", async () => {
    const { store } = await freshStore();
    const run = await store.createRun(spec);
    const engine = tripled();
    const exec = new FakeExecutor();
    const runner = new Runner(run, runnerDeps({ spec, dataset: mbpp, store, engine, executor: exec }));
    const off = runner.onProgress((p) => {
      if (p.samplesGenerated >= 7) runner.pause();
    });
    expect(await runner.start()).toBe("paused");
    off();
    const mid = await store.samples(run.id);
    expect(mid.length).toBeGreaterThanOrEqual(7);
    expect(mid.length).toBeLessThan(spec.taskIds.length * N);
    expect(await runner.start()).toBe("done");
    await expectComplete(store, run.id);
    expect([...engine.calls.values()].every((c) => c === 1)).toBe(true);
    expect(exec.runs).toBe(spec.taskIds.length * N);
  });

  it("after a closed tab (samples stored, verdicts missing, status still running) a new runner finishes it", async () => {
    const { name, store } = await freshStore();
    const run = await store.createRun(spec);
    const engine = tripled();
    // The first page: generation outpaces an executor that never answers, then the tab closes.
    const stuck: Executor = { run: () => new Promise<Verdict>(() => undefined) };
    const first = new Runner(run, runnerDeps({ spec, dataset: mbpp, store, engine, executor: stuck }));
    const stopped = new Promise<void>((resolve) => {
      first.onProgress((p) => {
        if (p.samplesGenerated >= 5) resolve();
      });
    });
    void first.start();
    await stopped;
    await new Promise((r) => setTimeout(r, 20));
    expect((await store.getRun(run.id))!.status).toBe("running");
    const storedBefore = await store.samples(run.id);
    expect(storedBefore.length).toBeGreaterThanOrEqual(5);
    expect(await store.verdicts(run.id)).toHaveLength(0);

    // The reopened page: its own connection and a fresh runner over what the database holds.
    const store2 = new RunStore(await openPlaygroundDB(name));
    const exec = new FakeExecutor();
    const reopened = new Runner((await store2.getRun(run.id))!, runnerDeps({ spec, dataset: mbpp, store: store2, engine, executor: exec }));
    expect(await reopened.start()).toBe("done");
    await expectComplete(store2, run.id);
    for (const s of storedBefore) expect(engine.calls.get(`${s.taskId}#${s.sampleIndex}`)).toBe(1);
    expect(exec.runs).toBe(spec.taskIds.length * N);
  });

  it("a full disk pauses the run with a message, keeps the unsaved sample, and resume loses nothing", async () => {
    const faults = new StorageFaults();
    const { store } = await freshStore(faults);
    const run = await store.createRun(spec);
    const engine = tripled();
    const runner = new Runner(run, runnerDeps({ spec, dataset: mbpp, store, engine, executor: new FakeExecutor() }));
    faults.fill(9);
    expect(await runner.start()).toBe("paused");
    expect(runner.progress().message).toMatch(/storage for this site is full/);
    const partial = await store.samples(run.id);
    expect(partial.length).toBeLessThan(spec.taskIds.length * N);
    faults.free();
    expect(await runner.start()).toBe("done");
    await expectComplete(store, run.id);
    expect([...engine.calls.values()].every((c) => c === 1)).toBe(true);
  });
});
