import type { Sandbox, Verdict } from "../python/types.ts";
import type { Task } from "../tasks/types.ts";
import { humanEvalProgramText, programForTask } from "./program.ts";

export interface GoldReport {
  total: number;
  passed: number;
  failures: { taskId: string; kind: Verdict["kind"]; detail: string }[];
  /** Wall time for the whole set, and the slowest single program's own time. */
  wallMs: number;
  slowest: { taskId: string; ms: number };
  /** Sum of every program's own run time. */
  computeMs: number;
}

/** The program text a task's reference solution makes (HumanEval's is prompt + body). */
export function referenceCode(task: Task): string {
  return task.format === "humaneval" ? humanEvalProgramText(task, task.reference) : task.reference;
}

/** Runs every task's reference solution (all at once: the sandbox queues them). */
export async function runGold(sandbox: Sandbox, tasks: readonly Task[], opts: { timeoutMs: number }): Promise<GoldReport> {
  const t0 = performance.now();
  const verdicts = await Promise.all(tasks.map((t) => sandbox.run(programForTask(t, referenceCode(t)), { timeoutMs: opts.timeoutMs })));
  const wallMs = performance.now() - t0;
  const report: GoldReport = { total: tasks.length, passed: 0, failures: [], wallMs, slowest: { taskId: "", ms: 0 }, computeMs: 0 };
  verdicts.forEach((v, i) => {
    const task = tasks[i]!;
    report.computeMs += v.durationMs;
    if (v.durationMs > report.slowest.ms) report.slowest = { taskId: task.id, ms: v.durationMs };
    if (v.kind === "passed") report.passed++;
    else report.failures.push({ taskId: task.id, kind: v.kind, detail: v.error ? `${v.error.type}: ${v.error.message}` : v.kind });
  });
  return report;
}
