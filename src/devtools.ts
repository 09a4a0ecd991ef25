// Console API for power users and for the end-to-end tests and benchmarks, which drive the real
// sandbox in the page: `await playground.run("print(1)")`, `await playground.verifyGold("mbpp")`.
import { programForTask, type TestProgram } from "./lib/eval/program.ts";
import { referenceCode, runGold, type GoldReport } from "./lib/eval/gold.ts";
import { DEFAULT_TIMEOUT_MS } from "./lib/python/pool.ts";
import type { Verdict } from "./lib/python/types.ts";
import { BUILTIN_DATASETS, loadBuiltinDataset } from "./lib/tasks/catalog.ts";
import type { Task } from "./lib/tasks/types.ts";
import { sharedPythonPool } from "./state/python.svelte.ts";

async function loadTasks(datasetId: string): Promise<Task[]> {
  const def = BUILTIN_DATASETS.find((d) => d.id === datasetId);
  if (!def) throw new Error(`unknown dataset "${datasetId}" (one of ${BUILTIN_DATASETS.map((d) => d.id).join(", ")})`);
  const res = await fetch(new URL(`datasets/${def.file}`, document.baseURI));
  if (!res.ok) throw new Error(`datasets/${def.file}: HTTP ${res.status}`);
  return (await loadBuiltinDataset(def, new Uint8Array(await res.arrayBuffer()))).tasks;
}

const api = {
  pool: sharedPythonPool,
  /** Runs `code` with optional test statements; the verdict as the sandbox gives it. */
  async run(code: string, tests: string[] = [], timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Verdict> {
    const program: TestProgram = { code, setup: "", tests: tests.map((source) => ({ source, hidden: false })) };
    return sharedPythonPool().run(program, { timeoutMs });
  },
  /** Runs a task's program for `code` (the task's reference solution when omitted). */
  async runTask(datasetId: string, taskId: string, code?: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Verdict> {
    const task = (await loadTasks(datasetId)).find((t) => t.id === taskId);
    if (!task) throw new Error(`no task ${taskId} in ${datasetId}`);
    return sharedPythonPool().run(programForTask(task, code ?? referenceCode(task)), { timeoutMs });
  },
  /** Every reference solution of a dataset through the sandbox. */
  async verifyGold(datasetId: string, opts: { timeoutMs?: number; only?: string[] } = {}): Promise<GoldReport> {
    const tasks = (await loadTasks(datasetId)).filter((t) => !opts.only || opts.only.includes(t.id));
    return runGold(sharedPythonPool(), tasks, { timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS });
  },
  stats: () => sharedPythonPool().stats,

  // --- Runs (issue 5) -------------------------------------------------------------------------
  /** The run store's disk, full on demand: `fill(n)` lets n more writes through, then each fails
   *  with QuotaExceededError until `free()`. The e2e suite uses it to check that nothing is lost. */
  runStorage: {
    async fill(afterWrites = 0): Promise<void> {
      (await import("./state/runs.svelte.ts")).sharedStorageFaults.fill(afterWrites);
    },
    async free(): Promise<void> {
      (await import("./state/runs.svelte.ts")).sharedStorageFaults.free();
    },
  },
  // --- end Runs ---------------------------------------------------------------------------------
};

declare global {
  var playground: typeof api;
}
globalThis.playground = api;

// --- Fixtures for plots, sweeps and comparisons (issue 6) ------------------------------------------
// Runs of known composition written straight into this browser's run database, so the e2e suite can
// check that every figure draws exactly the metrics of what was stored. Nothing here is generated or
// executed: these are test fixtures, and their engine says so.

import { openPlaygroundDB } from "./lib/runs/db.ts";
import { createSweepSpecs, type SweepParameter } from "./lib/runs/sweep.ts";
import type { RunSpec, SampleRecord, VerdictRecord } from "./lib/runs/types.ts";
import type { VerdictKind } from "./lib/python/types.ts";

/** One sample of a fixture run: its verdict, and optionally its code and exception type. */
export interface FixtureSample {
  taskId: string;
  sampleIndex: number;
  kind: VerdictKind;
  code?: string;
  errorType?: string;
  shownPassed?: boolean;
  hiddenPassed?: boolean;
  hasHidden?: boolean;
}

const fixtures = {
  /** Stores a finished run with these samples and verdicts (one IndexedDB transaction); resolves with its id. */
  async createRun(spec: RunSpec, samples: FixtureSample[]): Promise<string> {
    const db = await openPlaygroundDB();
    const id = crypto.randomUUID();
    const now = Date.now();
    const tx = db.transaction(["runs", "samples", "verdicts"], "readwrite");
    const writes: Promise<unknown>[] = [
      tx.objectStore("runs").add({ id, spec, status: "done", createdAt: now, updatedAt: now, samplesDone: samples.length, verdictsDone: samples.length }),
    ];
    for (const s of samples) {
      const passed = s.kind === "passed";
      const sample: SampleRecord = {
        runId: id, taskId: s.taskId, sampleIndex: s.sampleIndex, seed: s.sampleIndex, raw: s.code ?? "", code: s.code ?? "",
        extractionNotes: [], finishReason: "stop", usage: { promptTokens: 0, completionTokens: 0 }, timings: { totalMs: 0 }, createdAt: now,
      };
      const verdict: VerdictRecord = {
        runId: id, taskId: s.taskId, sampleIndex: s.sampleIndex, kind: s.kind,
        shownPassed: s.shownPassed ?? passed, hiddenPassed: s.hiddenPassed ?? passed, hasHidden: s.hasHidden ?? false,
        error: s.errorType ? { type: s.errorType, message: "", line: null, traceback: "" } : undefined,
        tests: [], stdout: "", stderr: "", truncated: false, durationMs: 0, timeoutMs: spec.timeoutMs, createdAt: now,
      };
      writes.push(tx.objectStore("samples").add(sample), tx.objectStore("verdicts").add(verdict));
    }
    await Promise.all([...writes, tx.done]);
    db.close();
    return id;
  },
  /** `createSweepSpecs` (src/lib/runs/sweep.ts), for building a sweep's runs from the console. */
  sweepSpecs(base: RunSpec, parameter: SweepParameter, values: (string | number)[], id?: string): RunSpec[] {
    return createSweepSpecs(base, parameter, values, { id });
  },
};
Object.assign(api, { fixtures });
/** What `playground.fixtures` holds, for the e2e suite's types. */
export type PlaygroundFixtures = typeof fixtures;
