// The headless evaluator's body: `npm run eval -- <samples.jsonl> --dataset … [--k …] [--timeout …]`.
// scripts/eval.mjs bundles this file and runs it under Node's permission model; it refuses to run
// any other way, because in Node a Python program can otherwise reach the host (RUNTIME_FACTS §6).
import { availableParallelism } from "node:os";
import { basename, join, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { parseArgs } from "node:util";
import { parseSamplesFile } from "../lib/engines/replay.ts";
import { humanEvalProgramText, programForTask } from "../lib/eval/program.ts";
import { scoreSamples, type SampleOutcome } from "../lib/eval/passk.ts";
import { DEFAULT_TIMEOUT_MS } from "../lib/python/pool.ts";
import type { Verdict } from "../lib/python/types.ts";
import type { Task } from "../lib/tasks/types.ts";
import { createBundledNodePool } from "./bundled-pool.ts";
import { CLI_DATASETS, isCliDataset, loadDatasetFromDisk } from "./datasets.ts";

export class UsageError extends Error {
  constructor(message: string) {
    super(`${message}\n${USAGE}`);
    this.name = "UsageError";
  }
}

export class UnsandboxedError extends Error {
  constructor(what: string) {
    super(`the evaluator refuses to run: ${what}. Start it with \`npm run eval -- …\` (scripts/eval.mjs), which runs it under Node's permission model.`);
    this.name = "UnsandboxedError";
  }
}

const USAGE = `usage: npm run eval -- <samples.jsonl> --dataset ${CLI_DATASETS.join("|")} [--k 1,10,100] [--timeout ms] [--workers n] [--out file]`;

export interface EvalArgs {
  samples: string;
  dataset: (typeof CLI_DATASETS)[number];
  ks: number[];
  timeoutMs: number;
  workers: number;
  out: string;
}

export function parseEvalArgs(argv: string[]): EvalArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        dataset: { type: "string" },
        k: { type: "string", default: "1,10,100" },
        timeout: { type: "string" },
        workers: { type: "string" },
        out: { type: "string" },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError(positionals.length ? `expected one samples file, got ${positionals.length}: ${positionals.join(" ")}` : "name the samples file (JSONL, one {task_id, completion} per line)");
  const samples = positionals[0]!;
  if (!values.dataset) throw new UsageError("--dataset is required");
  if (!isCliDataset(values.dataset)) throw new UsageError(`--dataset must be one of ${CLI_DATASETS.join(", ")} (got "${values.dataset}")`);
  const ks = values.k.split(",").map((s) => Number(s.trim()));
  if (!ks.length || ks.some((k) => !Number.isInteger(k) || k < 1)) throw new UsageError(`--k takes whole numbers ≥ 1 separated by commas (got "${values.k}")`);
  const timeoutMs = values.timeout === undefined ? DEFAULT_TIMEOUT_MS : Number(values.timeout);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new UsageError(`--timeout takes milliseconds > 0 (got "${values.timeout}")`);
  const workers = values.workers === undefined ? Math.max(1, availableParallelism() - 1) : Number(values.workers);
  if (!Number.isInteger(workers) || workers < 1) throw new UsageError(`--workers takes a whole number ≥ 1 (got "${values.workers}")`);
  return { samples, dataset: values.dataset, ks, timeoutMs, workers, out: values.out ?? `${samples}.verdicts.jsonl` };
}

/** One line of `<samples>.verdicts.jsonl`; `result` and `passed` read as in human-eval's results file. */
export interface VerdictLine {
  task_id: string;
  /** The sample's position among its task's samples (file order). */
  sample: number;
  passed: boolean;
  result: string;
  kind: Verdict["kind"];
  shown_passed: boolean;
  hidden_passed: boolean;
  failed_test?: number;
  error?: { type: string; message: string; line: number | null };
  resource?: Verdict["resource"];
  stopped?: boolean;
  notes?: string[];
  duration_ms: number;
  timeout_ms: number;
  completion: string;
}

function resultText(v: Verdict): string {
  if (v.kind === "passed") return "passed";
  if (v.kind === "timeout") return "timed out";
  const why = v.error ? `${v.error.type}${v.error.message ? `: ${v.error.message}` : ""}` : (v.resource ?? v.kind);
  return `${v.kind}: ${why}`;
}

function toLine(task: Task, sample: number, completion: string, v: Verdict): VerdictLine {
  return {
    task_id: task.id,
    sample,
    passed: v.kind === "passed",
    result: resultText(v),
    kind: v.kind,
    shown_passed: v.shownPassed,
    hidden_passed: v.hiddenPassed,
    ...(v.failedTest !== undefined ? { failed_test: v.failedTest } : {}),
    ...(v.error ? { error: { type: v.error.type, message: v.error.message, line: v.error.line } } : {}),
    ...(v.resource ? { resource: v.resource } : {}),
    ...(v.stopped ? { stopped: true } : {}),
    ...(v.notes?.length ? { notes: v.notes } : {}),
    duration_ms: Math.round(v.durationMs * 100) / 100,
    timeout_ms: v.timeoutMs,
    completion,
  };
}

function assertSandboxed(): void {
  const permission = (process as unknown as { permission?: { has(scope: string, ref?: string): boolean } }).permission;
  if (!permission || typeof permission.has !== "function") throw new UnsandboxedError("Node's permission model is not active (no --experimental-permission)");
  if (permission.has("child")) throw new UnsandboxedError("child processes are allowed");
  if (permission.has("fs.write", "/")) throw new UnsandboxedError("the whole file system is writable");
  if (permission.has("fs.read", "/etc")) throw new UnsandboxedError("host files outside the project are readable");
  if (permission.has("addon") || permission.has("wasi")) throw new UnsandboxedError("native addons or WASI are allowed");
}

const log = (msg: string) => process.stderr.write(`[eval] ${msg}\n`);

export async function main(argv: string[]): Promise<number> {
  assertSandboxed();
  const args = parseEvalArgs(argv);
  const workerFile = process.env.SP_EVAL_WORKER;
  const pyodideDir = process.env.SP_PYODIDE_DIR;
  const datasetsDir = process.env.SP_DATASETS_DIR;
  if (!workerFile || !pyodideDir || !datasetsDir) throw new UnsandboxedError("SP_EVAL_WORKER, SP_PYODIDE_DIR and SP_DATASETS_DIR are not set");

  const dataset = await loadDatasetFromDisk(args.dataset, datasetsDir);
  const source = await parseSamplesFile(readFileSync(args.samples, "utf8"), basename(args.samples), dataset);
  for (const note of source.report.notes) log(note);
  for (const u of source.report.unknownTaskIds) log(`task ${JSON.stringify(u.taskId)} (line ${u.lines.join(", ")}) is not in ${dataset.info.name}: skipped`);
  const byId = new Map(dataset.tasks.map((t) => [t.id, t]));
  const jobs: { task: Task; sample: number; completion: string }[] = [];
  for (const [taskId, samples] of source.samples) samples.forEach((completion, sample) => jobs.push({ task: byId.get(taskId)!, sample, completion }));
  log(`${jobs.length} sample(s) for ${source.report.tasks} of ${dataset.tasks.length} task(s) of ${dataset.info.name} (sha256 ${dataset.info.sha256.slice(0, 12)}…), timeout ${args.timeoutMs} ms, ${args.workers} worker(s)`);

  const pool = createBundledNodePool(new URL(workerFile), { pyodideModule: pathToFileURL(join(pyodideDir, "pyodide.mjs")).href, indexURL: `${pyodideDir}${sep}` }, { size: args.workers });
  const out = openSync(args.out, "w");
  const outcomes: SampleOutcome[] = [];
  const lines: (VerdictLine | undefined)[] = new Array<VerdictLine | undefined>(jobs.length);
  let written = 0;
  let done = 0;
  let passed = 0;
  const t0 = performance.now();
  let lastReport = 0;
  try {
    await pool.ready();
    log(`Python ${pool.pyodideVersion ? `(Pyodide ${pool.pyodideVersion}) ` : ""}ready after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const tRun = performance.now();
    lastReport = tRun;
    await Promise.all(
      jobs.map(async (job, i) => {
        const code = job.task.format === "humaneval" ? humanEvalProgramText(job.task, job.completion) : job.completion;
        const v = await pool.run(programForTask(job.task, code), { timeoutMs: args.timeoutMs });
        lines[i] = toLine(job.task, job.sample, job.completion, v);
        outcomes[i] = { taskId: job.task.id, kind: v.kind, shownPassed: v.shownPassed, hiddenPassed: v.hiddenPassed, hasHidden: job.task.hiddenTests.length > 0 };
        done++;
        if (v.kind === "passed") passed++;
        // Lines go out in job order (tasks as they first appear in the file, each task's samples in
        // file order) as soon as every earlier one is known, so an interrupted run keeps its work.
        while (written < jobs.length && lines[written]) {
          writeSync(out, `${JSON.stringify(lines[written])}\n`);
          lines[written] = undefined;
          written++;
        }
        const now = performance.now();
        if (now - lastReport > 2000 || done === jobs.length) {
          lastReport = now;
          const rate = done / ((now - tRun) / 1000);
          const eta = rate > 0 ? (jobs.length - done) / rate : 0;
          log(`${done}/${jobs.length} evaluated, ${passed} passed, ${rate.toFixed(1)}/s${done < jobs.length ? `, about ${Math.ceil(eta)} s left` : ""}`);
        }
      }),
    );
  } finally {
    closeSync(out);
    pool.close();
  }

  const score = scoreSamples(outcomes, { ks: args.ks });
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const report: string[] = [];
  for (const { k, value } of score.passAtK) report.push(`pass@${k}: ${value.toFixed(4)}`);
  if (score.skippedK.length) report.push(`(pass@${score.skippedK.join(", pass@")} not computed: some task has only ${score.minN} sample(s))`);
  report.push(`samples: ${score.samples}, tasks: ${score.tasks}, solved (any sample): ${pct(score.solvedAny)}, sample pass rate: ${pct(score.samplePassRate)}`);
  report.push(`verdicts: ${Object.entries(score.verdicts).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(", ")}`);
  if (score.hidden.samples) report.push(`hidden tests: ${score.hidden.shownNotHidden} sample(s) pass the shown tests but fail the hidden ones`);
  process.stdout.write(`${report.join("\n")}\n`);
  log(`verdicts written to ${args.out}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const err = e as Error;
    process.stderr.write(`[eval] ${err.name === "Error" ? "" : `${err.name}: `}${err.message}\n`);
    if (process.env.SP_EVAL_DEBUG) process.stderr.write(`${err.stack}\n`);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  },
);
