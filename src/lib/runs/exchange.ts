import { z } from "zod";
import type { Task } from "../tasks/types.ts";
import type { RunStore } from "./store.ts";
import type { RunRecord, RunSpec, SampleRecord, VerdictRecord } from "./types.ts";

/**
 * # Moving runs between browsers
 *
 * - `exportRun(store, id)` → a {@link RunExport}: the spec, every sample and every verdict, as one
 *   JSON document (`JSON.stringify` it). `importRun(store, text)` reads one back under a new id;
 *   a file that is not a valid export is rejected whole with {@link RunImportError}, nothing stored.
 * - `samplesJsonl(spec, samples, verdicts, tasks)` → human-eval's samples format (one
 *   `{"task_id", "completion"}` per line, plus `passed`/`result` as human-eval's own
 *   `*_results.jsonl` has them), which `evaluate_functional_correctness` and our replay engine read.
 */

export const RUN_EXPORT_FORMAT = "synthesis-playground/run";

export interface RunExport {
  format: typeof RUN_EXPORT_FORMAT;
  version: 1;
  exportedAt: string;
  run: Pick<RunRecord, "id" | "spec" | "status" | "createdAt" | "message">;
  samples: SampleRecord[];
  verdicts: VerdictRecord[];
}

export async function exportRun(store: RunStore, id: string): Promise<RunExport> {
  const run = await store.getRun(id);
  if (!run) throw new RunImportError(`there is no run ${id} to export (was it deleted?)`);
  const [samples, verdicts] = await Promise.all([store.samples(id), store.verdicts(id)]);
  return {
    format: RUN_EXPORT_FORMAT,
    version: 1,
    exportedAt: new Date().toISOString(),
    run: { id: run.id, spec: run.spec, status: run.status, createdAt: run.createdAt, ...(run.message ? { message: run.message } : {}) },
    samples,
    verdicts,
  };
}

/** human-eval's `completion` continues the task's prompt; our code for HumanEval tasks includes it. */
function completionOf(task: Task | undefined, code: string): string {
  if (task?.format === "humaneval" && task.prompt && code.startsWith(task.prompt)) return code.slice(task.prompt.length);
  return code;
}

export function samplesJsonl(spec: RunSpec, samples: readonly SampleRecord[], verdicts: readonly VerdictRecord[], tasks: ReadonlyMap<string, Task>): string {
  const order = new Map(spec.taskIds.map((id, i) => [id, i]));
  const verdictOf = new Map(verdicts.map((v) => [`${v.taskId}\u0000${v.sampleIndex}`, v]));
  const sorted = [...samples].sort((a, b) => (order.get(a.taskId) ?? 0) - (order.get(b.taskId) ?? 0) || a.sampleIndex - b.sampleIndex);
  let out = "";
  for (const s of sorted) {
    const v = verdictOf.get(`${s.taskId}\u0000${s.sampleIndex}`);
    const line: Record<string, unknown> = { task_id: s.taskId, completion: completionOf(tasks.get(s.taskId), s.code) };
    if (v) {
      line.passed = v.kind === "passed";
      line.result = v.kind === "passed" ? "passed" : v.error ? `${v.kind}: ${v.error.type}: ${v.error.message}` : v.kind;
    }
    out += JSON.stringify(line) + "\n";
  }
  return out;
}

// --- Import -------------------------------------------------------------------------------------

/** A run file that was not imported; nothing of it was stored. */
export class RunImportError extends Error {
  constructor(detail: string, fileName?: string) {
    super(`${fileName ? `${fileName} was not imported: ` : "The run was not imported: "}${detail}.`);
    this.name = "RunImportError";
  }
}

const nonNeg = z.number().int().nonnegative();
const verdictKind = z.enum(["passed", "failed", "error", "syntax_error", "timeout", "resource", "sandbox_crash"]);
const pyError = z.object({ type: z.string(), message: z.string(), line: z.number().int().nullable(), traceback: z.string() });

const SpecSchema = z.object({
  schema: z.literal(1),
  name: z.string(),
  dataset: z.object({ id: z.string().min(1), name: z.string(), sha256: z.string().min(1) }),
  split: z.enum(["prompt", "test", "validation", "train", "all"]),
  taskIds: z.array(z.string().min(1)).min(1),
  prompt: z.looseObject({
    template: z.enum(["mbpp-paper", "mbpp-chat", "humaneval", "humaneval-chat", "mathqa", "custom"]),
    shots: nonNeg,
    selection: z.union([
      z.object({ kind: z.literal("fixed"), ids: z.array(z.string()) }),
      z.object({ kind: z.literal("seeded"), seed: z.number().int(), pool: z.enum(["prompt", "train"]), perTask: z.boolean().optional() }),
    ]),
    testsShown: nonNeg,
    system: z.string().optional(),
    custom: z.object({ text: z.string(), form: z.enum(["completion", "chat"]), separator: z.string().optional(), stop: z.array(z.string()).optional() }).optional(),
  }),
  engine: z.looseObject({ kind: z.enum(["webllm", "openai", "replay"]), modelId: z.string().min(1), libraries: z.record(z.string(), z.string()) }),
  sampling: z.object({
    n: z.number().int().min(1),
    temperature: z.number().min(0),
    topP: z.number().gt(0).max(1),
    maxTokens: z.number().int().min(1),
    repetitionPenalty: z.number().gt(0),
    baseSeed: z.number().int(),
  }),
  timeoutMs: z.number().positive(),
  pyodideVersion: z.string(),
  sweep: z.object({ id: z.string(), parameter: z.string(), value: z.union([z.string(), z.number()]) }).optional(),
});

const SampleSchema = z.object({
  runId: z.string(),
  taskId: z.string(),
  sampleIndex: nonNeg,
  seed: z.number().int(),
  raw: z.string(),
  code: z.string(),
  extractionNotes: z.array(z.string()),
  finishReason: z.enum(["stop", "length", "abort", "error"]),
  usage: z.object({ promptTokens: nonNeg, completionTokens: nonNeg }),
  timings: z.object({ totalMs: z.number().nonnegative(), prefillTokensPerS: z.number().optional(), decodeTokensPerS: z.number().optional(), timeToFirstTokenMs: z.number().optional() }),
  createdAt: z.number(),
});

const VerdictSchema = z.object({
  runId: z.string(),
  taskId: z.string(),
  sampleIndex: nonNeg,
  kind: verdictKind,
  shownPassed: z.boolean(),
  hiddenPassed: z.boolean(),
  hasHidden: z.boolean(),
  failedTest: nonNeg.optional(),
  error: pyError.optional(),
  resource: z.enum(["memory", "recursion", "output"]).optional(),
  tests: z.array(
    z.object({ index: nonNeg, source: z.string(), hidden: z.boolean(), status: z.enum(["passed", "failed", "error", "not_run"]), error: pyError.optional() }),
  ),
  stdout: z.string(),
  stderr: z.string(),
  truncated: z.boolean(),
  durationMs: z.number().nonnegative(),
  timeoutMs: z.number().nonnegative(),
  createdAt: z.number(),
});

const ExportSchema = z.object({
  format: z.literal(RUN_EXPORT_FORMAT, { error: `is not "${RUN_EXPORT_FORMAT}": this is not a run exported from the playground` }),
  version: z.literal(1, { error: "is a version this build does not read (it reads version 1)" }),
  exportedAt: z.string(),
  run: z.object({
    id: z.string().min(1),
    spec: SpecSchema,
    status: z.enum(["queued", "running", "paused", "done", "cancelled", "failed"]),
    createdAt: z.number(),
    message: z.string().optional(),
  }),
  samples: z.array(SampleSchema),
  verdicts: z.array(VerdictSchema),
});

function describeIssues(error: z.ZodError): string {
  const shown = error.issues.slice(0, 3).map((i) => `${i.path.length ? i.path.join(".") : "the file"} ${i.message}`);
  return shown.join("; ") + (error.issues.length > 3 ? ` (and ${error.issues.length - 3} more problems)` : "");
}

/** Parses and checks an export: valid JSON, the right shape, and samples and verdicts that belong to its spec. */
export function parseRunExport(text: string, fileName?: string): RunExport {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new RunImportError(`it is not JSON (${(e as Error).message})`, fileName);
  }
  const parsed = ExportSchema.safeParse(json);
  if (!parsed.success) throw new RunImportError(describeIssues(parsed.error), fileName);
  const data = parsed.data as unknown as RunExport;
  const { spec, id } = data.run;
  const tasks = new Set(spec.taskIds);
  const n = spec.sampling.n;
  const problems: string[] = [];
  const sampleKeys = new Set<string>();
  data.samples.forEach((s, i) => {
    const k = `${s.taskId}\u0000${s.sampleIndex}`;
    if (s.runId !== id) problems.push(`samples.${i} belongs to run ${s.runId}, not ${id}`);
    else if (!tasks.has(s.taskId)) problems.push(`samples.${i} is for task ${s.taskId}, which the run's spec does not list`);
    else if (s.sampleIndex >= n) problems.push(`samples.${i} is sample ${s.sampleIndex + 1} of task ${s.taskId}, but the run has ${n} per task`);
    else if (sampleKeys.has(k)) problems.push(`samples.${i} repeats sample ${s.sampleIndex + 1} of task ${s.taskId}`);
    sampleKeys.add(k);
  });
  const verdictKeys = new Set<string>();
  data.verdicts.forEach((v, i) => {
    const k = `${v.taskId}\u0000${v.sampleIndex}`;
    if (v.runId !== id) problems.push(`verdicts.${i} belongs to run ${v.runId}, not ${id}`);
    else if (!sampleKeys.has(k)) problems.push(`verdicts.${i} judges sample ${v.sampleIndex + 1} of task ${v.taskId}, which the file does not hold`);
    else if (verdictKeys.has(k)) problems.push(`verdicts.${i} repeats the verdict of sample ${v.sampleIndex + 1} of task ${v.taskId}`);
    verdictKeys.add(k);
  });
  if (problems.length) {
    throw new RunImportError(problems.slice(0, 3).join("; ") + (problems.length > 3 ? ` (and ${problems.length - 3} more problems)` : ""), fileName);
  }
  return data;
}

/**
 * Stores an exported run under a fresh id (the same file can be imported twice, and never
 * overwrites a run of this browser). A run that was running when exported comes back paused.
 */
export async function importRun(store: RunStore, text: string, fileName?: string): Promise<RunRecord> {
  const data = parseRunExport(text, fileName);
  const id = crypto.randomUUID();
  const now = Date.now();
  const unfinished = data.run.status === "running" || data.run.status === "queued";
  const complete = data.verdicts.length === data.run.spec.taskIds.length * data.run.spec.sampling.n;
  const run: RunRecord = {
    id,
    spec: data.run.spec,
    status: unfinished ? (complete ? "done" : "paused") : data.run.status,
    createdAt: now,
    updatedAt: now,
    ...(data.run.message ? { message: data.run.message } : {}),
    samplesDone: data.samples.length,
    verdictsDone: data.verdicts.length,
  };
  await store.putWholeRun(
    run,
    data.samples.map((s) => ({ ...s, runId: id })),
    data.verdicts.map((v) => ({ ...v, runId: id })),
  );
  return run;
}
