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
};

declare global {
  var playground: typeof api;
}
globalThis.playground = api;
