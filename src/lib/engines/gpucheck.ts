import type { Verdict, VerdictKind } from "../python/types.ts";
import type { Task } from "../tasks/types.ts";
import { errorText } from "./errors.ts";
import { tokensPerSecond } from "./trial.ts";
import { isAbortError, type Engine, type Prompt, type SamplingParams } from "./types.ts";

/**
 * The GPU check: the smallest coder model on five MBPP tasks with the paper's prompt, each
 * completion executed against the task's tests. It answers "does a model run on this machine,
 * how fast, and does the whole pipeline produce sane verdicts" in a minute or two, for anyone
 * with a GPU (our own machines have none and cannot fetch weights).
 */

/** The first five tasks of MBPP's test split (11–510): fixed, so results compare across machines. */
export const GPU_CHECK_TASK_IDS = ["11", "12", "13", "14", "15"] as const;

/**
 * Greedy decoding, so two machines that run the same model should print the same completions
 * (up to GPU arithmetic differences). 512 tokens is far more than any MBPP reference needs.
 */
export const GPU_CHECK_SAMPLING: Omit<SamplingParams, "stop"> = { temperature: 0, topP: 1, maxTokens: 512, seed: 0, repetitionPenalty: 1 };

export interface GpuCheckDeps {
  engine: Engine;
  tasks: readonly Task[];
  /** The prompt for a task and where generation stops (the paper's 3-shot prompt stops at [DONE]). */
  render(task: Task): { prompt: Prompt; stop: string[] };
  /** The program to run, cut from the completion. */
  extract(raw: string, task: Task): string;
  execute(task: Task, code: string, signal: AbortSignal): Promise<Verdict>;
}

export interface GpuCheckRow {
  task: Task;
  status: "waiting" | "generating" | "executing" | "done" | "failed";
  raw: string;
  code?: string;
  verdict?: VerdictKind;
  /** Why the verdict is what it is: the failing assert, the exception. */
  verdictDetail?: string;
  completionTokens?: number;
  tokensPerS?: number;
  prefillTokensPerS?: number;
  totalMs?: number;
  error?: string;
}

export interface GpuCheckSummary {
  passed: number;
  done: number;
  /** Mean decode speed over the samples that reported one. */
  meanTokensPerS?: number;
}

export function summariseGpuCheck(rows: readonly GpuCheckRow[]): GpuCheckSummary {
  const done = rows.filter((r) => r.status === "done");
  const rates = rows.map((r) => r.tokensPerS).filter((v): v is number => v !== undefined);
  return {
    passed: done.filter((r) => r.verdict === "passed").length,
    done: done.length,
    ...(rates.length ? { meanTokensPerS: rates.reduce((a, b) => a + b, 0) / rates.length } : {}),
  };
}

function verdictDetail(v: Verdict): string | undefined {
  if (v.kind === "passed") return undefined;
  if (v.kind === "failed" && v.failedTest !== undefined) return `failed: ${v.tests[v.failedTest]?.source ?? `test ${v.failedTest + 1}`}`;
  if (v.error) return `${v.error.type}: ${v.error.message}`;
  return v.resource ? `${v.kind} (${v.resource})` : v.kind;
}

/**
 * Generates each task's completion (streamed into its row), then executes it while the next one
 * generates. `onUpdate` receives the rows after every change; an abort stops after the current piece.
 */
export async function runGpuCheck(deps: GpuCheckDeps, onUpdate: (rows: GpuCheckRow[]) => void, signal: AbortSignal): Promise<GpuCheckRow[]> {
  const rows: GpuCheckRow[] = deps.tasks.map((task) => ({ task, status: "waiting", raw: "" }));
  const emit = () => onUpdate(rows.map((r) => ({ ...r })));
  const executions: Promise<void>[] = [];
  emit();
  for (const row of rows) {
    if (signal.aborted) break;
    row.status = "generating";
    emit();
    try {
      const { prompt, stop } = deps.render(row.task);
      const req = { ...GPU_CHECK_SAMPLING, prompt, stop };
      const onDelta = (d: string) => {
        row.raw += d;
        emit();
      };
      const c = deps.engine.stream ? await deps.engine.stream(req, onDelta, signal) : await deps.engine.generate(req, signal);
      row.raw = c.text;
      row.completionTokens = c.usage.completionTokens;
      row.tokensPerS = tokensPerSecond(c);
      if (c.timings.prefillTokensPerS !== undefined) row.prefillTokensPerS = c.timings.prefillTokensPerS;
      row.totalMs = c.timings.totalMs;
      if (c.finishReason === "abort") {
        row.status = "failed";
        row.error = "stopped";
        break;
      }
    } catch (e) {
      row.status = "failed";
      row.error = isAbortError(e) ? "stopped" : errorText(e);
      emit();
      if (isAbortError(e)) break;
      continue;
    }
    row.code = deps.extract(row.raw, row.task);
    row.status = "executing";
    emit();
    executions.push(
      deps.execute(row.task, row.code, signal).then(
        (v) => {
          row.verdict = v.kind;
          const detail = verdictDetail(v);
          if (detail) row.verdictDetail = detail;
          row.status = "done";
          emit();
        },
        (e: unknown) => {
          row.status = "failed";
          row.error = `the sandbox failed: ${errorText(e)}`;
          emit();
        },
      ),
    );
  }
  await Promise.all(executions);
  for (const row of rows) {
    if (row.status !== "waiting") continue;
    row.status = "failed";
    row.error = "not run: stopped earlier";
  }
  emit();
  return rows;
}
