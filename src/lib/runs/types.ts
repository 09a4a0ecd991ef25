import type { EngineDescription, FinishReason } from "../engines/types.ts";
import type { PromptSpec } from "../prompts/types.ts";
import type { PyErrorInfo, TestResult, VerdictKind } from "../python/types.ts";
import type { DatasetId, Split } from "../tasks/types.ts";

/**
 * Everything needed to reproduce a run: the exact dataset file, the tasks, the prompt, the model,
 * the sampling, the seeds, the sandbox. Results always carry the spec they came from.
 */
export interface RunSpec {
  schema: 1;
  name: string;
  dataset: { id: DatasetId; name: string; sha256: string };
  split: Split;
  /** In run order. */
  taskIds: string[];
  prompt: PromptSpec;
  engine: EngineDescription;
  sampling: {
    /** Samples per task. */
    n: number;
    temperature: number;
    topP: number;
    maxTokens: number;
    repetitionPenalty: number;
    /** Sample i of task t uses seedFor(baseSeed, t, i) (runner.ts), so any sample can be redrawn alone. */
    baseSeed: number;
  };
  timeoutMs: number;
  pyodideVersion: string;
  /** Set by a sweep: which parameter this run varies and its value. */
  sweep?: { id: string; parameter: string; value: string | number };
}

export type RunStatus = "queued" | "running" | "paused" | "done" | "cancelled" | "failed";

export interface RunRecord {
  id: string;
  spec: RunSpec;
  status: RunStatus;
  createdAt: number;
  updatedAt: number;
  /** Why the run paused or failed (quota, engine error), in words for the user. */
  message?: string;
  /** Counts kept on the record so the runs list needs no scan of samples. */
  samplesDone: number;
  verdictsDone: number;
}

export interface SampleRecord {
  runId: string;
  taskId: string;
  sampleIndex: number;
  seed: number;
  /** The model's raw output, exactly. */
  raw: string;
  /** What was executed (after extraction). */
  code: string;
  extractionNotes: string[];
  finishReason: FinishReason;
  usage: { promptTokens: number; completionTokens: number };
  timings: { totalMs: number; prefillTokensPerS?: number; decodeTokensPerS?: number; timeToFirstTokenMs?: number };
  createdAt: number;
}

export interface VerdictRecord {
  runId: string;
  taskId: string;
  sampleIndex: number;
  kind: VerdictKind;
  shownPassed: boolean;
  hiddenPassed: boolean;
  hasHidden: boolean;
  failedTest?: number;
  error?: PyErrorInfo;
  resource?: "memory" | "recursion" | "output";
  tests: TestResult[];
  stdout: string;
  stderr: string;
  truncated: boolean;
  durationMs: number;
  timeoutMs: number;
  createdAt: number;
}

/**
 * What the run page, its charts, sweeps and comparisons need of a verdict: the outcome, without
 * tests, output or traceback (the sample drill-down reads the whole verdict by its key).
 */
export type VerdictOutcome = Pick<VerdictRecord, "taskId" | "sampleIndex" | "kind" | "shownPassed" | "hiddenPassed" | "hasHidden" | "resource"> & {
  error?: Pick<PyErrorInfo, "type">;
};

export function verdictOutcome(v: VerdictRecord): VerdictOutcome {
  const o: VerdictOutcome = { taskId: v.taskId, sampleIndex: v.sampleIndex, kind: v.kind, shownPassed: v.shownPassed, hiddenPassed: v.hiddenPassed, hasHidden: v.hasHidden };
  if (v.error) o.error = { type: v.error.type };
  if (v.resource) o.resource = v.resource;
  return o;
}

/**
 * Outcomes of one run in arrival order, OUTCOME_CHUNK to a record (the `outcomes` store). Each new
 * verdict rewrites its chunk; fewer, larger records read faster (npm run bench:pipeline, 40,000
 * samples: open 270 ms with chunks of 1,000, 458 ms with 250; the pipeline ratio 0.92 either way).
 */
export interface OutcomeChunk {
  runId: string;
  chunk: number;
  rows: VerdictOutcome[];
}
export const OUTCOME_CHUNK = 1000;
