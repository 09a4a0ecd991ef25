import type { Engine, EngineDescription } from "../engines/types.ts";
import { extractorFor } from "../eval/extract.ts";
import { programForTask } from "../eval/program.ts";
import { createRenderer, promptForm } from "../prompts/render.ts";
import type { PromptSpec } from "../prompts/types.ts";
import type { Dataset, DatasetInfo, Split, Task } from "../tasks/types.ts";
import type { Executor, RunnerDeps } from "./runner.ts";
import type { RunStore } from "./store.ts";
import type { RunSpec } from "./types.ts";

/**
 * # From a form to a run
 *
 * ```ts
 * const spec = buildRunSpec({ dataset: d.info, split: "test", taskIds, prompt, engine: e.describe(),
 *   sampling, timeoutMs: 10_000, pyodideVersion: pool.pyodideVersion });   // throws RunSpecError
 * const run = await store.createRun(spec);
 * const runner = new Runner(run, runnerDeps({ spec, dataset: d, store, engine: e, executor: pool }));
 * await runner.start();
 * ```
 */

export type Sampling = RunSpec["sampling"];

export interface RunForm {
  /** Empty: a name is made from the model, dataset and sampling. */
  name?: string;
  dataset: Pick<DatasetInfo, "id" | "name" | "sha256">;
  split: Split;
  taskIds: readonly string[];
  prompt: PromptSpec;
  /** `useEngine().description`; null when no engine is loaded. */
  engine: EngineDescription | null;
  sampling: Sampling;
  timeoutMs: number;
  /** `pool.pyodideVersion` (empty until the sandbox is ready). */
  pyodideVersion: string;
}

/** A form that cannot make a run; `problems` lists every reason, each saying what to change. */
export class RunSpecError extends Error {
  constructor(readonly problems: string[]) {
    super(`The run cannot start: ${problems.join("; ")}.`);
    this.name = "RunSpecError";
  }
}

/** Greedy decoding, one sample per task: the paper's greedy setting (pass@k needs n > 1 and T > 0). */
export function defaultSampling(): Sampling {
  return { n: 1, temperature: 0, topP: 1, maxTokens: 512, repetitionPenalty: 1, baseSeed: 1 };
}

export function defaultRunName(form: Pick<RunForm, "dataset" | "split" | "engine" | "sampling" | "taskIds">): string {
  const model = form.engine?.modelId ?? "no engine";
  return `${model} · ${form.dataset.name} ${form.split} (${form.taskIds.length}) · n=${form.sampling.n} · T=${form.sampling.temperature}`;
}

const isWhole = (x: number, min: number) => Number.isInteger(x) && x >= min;

/** Checks the form and freezes it into a spec (copies, so later edits of the form do not leak in). */
export function buildRunSpec(form: RunForm): RunSpec {
  const problems: string[] = [];
  const s = form.sampling;
  if (!form.engine) problems.push("no engine is loaded — load one on the Engines screen");
  if (!form.dataset.sha256) problems.push("the dataset has no checksum, so the run could not be reproduced — reload the dataset");
  if (form.taskIds.length === 0) problems.push("no tasks are selected — pick a split or list task ids");
  if (new Set(form.taskIds).size !== form.taskIds.length) problems.push("a task is listed twice — list each task once");
  if (!isWhole(s.n, 1) || s.n > 1000) problems.push(`samples per task must be a whole number from 1 to 1000 (got ${s.n})`);
  if (!(s.temperature >= 0 && s.temperature <= 2)) problems.push(`temperature must be between 0 and 2 (got ${s.temperature})`);
  if (!(s.topP > 0 && s.topP <= 1)) problems.push(`top-p must be above 0 and at most 1 (got ${s.topP})`);
  if (!isWhole(s.maxTokens, 1)) problems.push(`max tokens must be a whole number ≥ 1 (got ${s.maxTokens})`);
  if (!(s.repetitionPenalty > 0)) problems.push(`the repetition penalty must be above 0 (got ${s.repetitionPenalty}; 1 means none)`);
  if (!Number.isInteger(s.baseSeed)) problems.push(`the seed must be a whole number (got ${s.baseSeed})`);
  if (!isWhole(form.timeoutMs, 100) || form.timeoutMs > 600_000) problems.push(`the time limit must be between 0.1 s and 600 s (got ${form.timeoutMs} ms)`);
  if (!form.pyodideVersion) problems.push("Python is still starting — wait until the sandbox is ready");
  if (problems.length) throw new RunSpecError(problems);
  const engine = form.engine!;
  const spec: RunSpec = {
    schema: 1,
    name: form.name?.trim() || defaultRunName(form),
    dataset: { id: form.dataset.id, name: form.dataset.name, sha256: form.dataset.sha256 },
    split: form.split,
    taskIds: [...form.taskIds],
    prompt: structuredClone(form.prompt),
    engine: structuredClone(engine),
    sampling: { ...s },
    timeoutMs: form.timeoutMs,
    pyodideVersion: form.pyodideVersion,
  };
  return spec;
}

/**
 * Reads a task subset typed by a person: ids and ranges separated by commas or spaces
 * ("11-20, 35 HumanEval/3"). Ranges work on numeric ids. The result follows the split's order.
 */
export function parseTaskSelection(text: string, tasks: readonly Task[]): { ids: string[]; unknown: string[] } {
  const known = new Set(tasks.map((t) => t.id));
  const wanted = new Set<string>();
  const unknown: string[] = [];
  for (const token of text.split(/[\s,]+/).filter(Boolean)) {
    const range = /^(\d+)\s*[-–]\s*(\d+)$/.exec(token);
    if (range) {
      const [a, b] = [Number(range[1]), Number(range[2])].sort((x, y) => x - y) as [number, number];
      let any = false;
      for (const t of tasks) {
        const n = Number(t.id);
        if (/^\d+$/.test(t.id) && n >= a && n <= b) {
          wanted.add(t.id);
          any = true;
        }
      }
      if (!any) unknown.push(token);
    } else if (known.has(token)) wanted.add(token);
    else unknown.push(token);
  }
  return { ids: tasks.filter((t) => wanted.has(t.id)).map((t) => t.id), unknown };
}

export interface CostEstimate {
  samples: number;
  /** Prompt tokens processed in total (every sample re-reads its prompt: web-llm re-prefills per request). */
  promptTokens: number;
  /** Upper bound: every sample runs to max tokens. */
  maxCompletionTokens: number;
  /** Worst-case generation time at `tokensPerS`, when a rate is known. */
  maxSeconds?: number;
  /** Python time at the worst case: every sample hitting the time limit, spread over the pool's workers. */
  maxExecSeconds: number;
}

/** About 4 characters per token for English and code (an estimate until the engine can count). */
export const CHARS_PER_TOKEN = 4;

export function estimateCost(spec: Pick<RunSpec, "taskIds" | "sampling" | "timeoutMs">, promptChars: number, opts: { tokensPerS?: number; workers?: number } = {}): CostEstimate {
  const samples = spec.taskIds.length * spec.sampling.n;
  const perPrompt = Math.ceil(promptChars / CHARS_PER_TOKEN);
  const promptTokens = perPrompt * samples;
  const maxCompletionTokens = samples * spec.sampling.maxTokens;
  return {
    samples,
    promptTokens,
    maxCompletionTokens,
    ...(opts.tokensPerS && opts.tokensPerS > 0 ? { maxSeconds: maxCompletionTokens / opts.tokensPerS } : {}),
    maxExecSeconds: (samples * spec.timeoutMs) / 1000 / Math.max(1, opts.workers ?? 1),
  };
}

/** The dataset a run was made from is not the one offered now: its bytes differ. */
export class RunDatasetMismatchError extends Error {
  constructor(spec: RunSpec, found: Pick<DatasetInfo, "sha256">) {
    super(
      `This run was made from ${spec.dataset.name} with sha256 ${spec.dataset.sha256.slice(0, 12)}…, but the copy loaded now has ${found.sha256.slice(0, 12)}…. ` +
        `Its tasks may differ, so the run cannot continue; put back the original dataset file or start a new run.`,
    );
    this.name = "RunDatasetMismatchError";
  }
}

/**
 * Whether `loaded` is the engine `spec` was made with. Resuming with another model would mix two
 * models' samples in one run, so it must be the same kind and model (and, for replay, the same file).
 * Returns why not, or null.
 */
export function engineMismatch(spec: RunSpec, loaded: EngineDescription | null): string | null {
  const want = spec.engine;
  if (!loaded) return `no engine is loaded — load ${want.modelId} on the Engines screen`;
  if (loaded.kind !== want.kind || loaded.modelId !== want.modelId) {
    return `the loaded engine is ${loaded.modelId} (${loaded.kind}) but this run uses ${want.modelId} (${want.kind}) — load that one on the Engines screen`;
  }
  if (want.quantisation && loaded.quantisation && want.quantisation !== loaded.quantisation) {
    return `the loaded model is quantised ${loaded.quantisation} but this run used ${want.quantisation}`;
  }
  const a = want.detail?.sha256;
  const b = loaded.detail?.sha256;
  if (a && b && a !== b) return `the loaded samples file differs from the one this run replays (sha256 ${b.slice(0, 12)}… vs ${a.slice(0, 12)}…)`;
  return null;
}

/** Everything the runner needs, wired from the spec: prompt renderer, extractor and test program. */
export function runnerDeps(opts: { spec: RunSpec; dataset: Dataset; store: RunStore; engine: Engine; executor: Executor }): RunnerDeps {
  const { spec, dataset } = opts;
  if (dataset.info.sha256 !== spec.dataset.sha256) throw new RunDatasetMismatchError(spec, dataset.info);
  const byId = new Map(dataset.tasks.map((t) => [t.id, t]));
  const missing = spec.taskIds.filter((id) => !byId.has(id));
  if (missing.length) {
    throw new RunSpecError([`${missing.length} task(s) of this run are not in ${dataset.info.name} (${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", …" : ""})`]);
  }
  const targets = spec.taskIds.map((id) => byId.get(id)!);
  const render = createRenderer(spec.prompt, dataset.tasks, targets);
  const extract = extractorFor(promptForm(spec.prompt));
  return {
    store: opts.store,
    engine: opts.engine,
    executor: opts.executor,
    tasks: new Map(targets.map((t) => [t.id, t])),
    render: (task) => {
      const r = render(task);
      return { prompt: r.prompt, stop: r.stop };
    },
    extract,
    // extractCode already returns a whole program (for HumanEval: prompt + completion), so no prefix here.
    program: (task, code) => programForTask(task, code),
  };
}
