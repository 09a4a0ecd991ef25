// `npm run bench:pipeline` (a benchmark, never part of `npm test`), issue 5's figures:
// (1) the whole run pipeline (replay engine → extract → sandbox → IndexedDB, as the Runner does it)
//     against the bare sandbox pool on the same 500 MBPP test programs, in Node, as a throughput
//     ratio (target ≥ 0.8);
// (2) the run page with 40,000 stored samples in headless Chromium against the built site on port
//     4179 (out of /tmp/sp-bench-pipeline): time to open it and time to filter its task table
//     (targets ≤ 1 s and ≤ 100 ms).
import "fake-indexeddb/auto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { referenceSource, ReplayEngine } from "../../src/lib/engines/replay.ts";
import { referenceCode } from "../../src/lib/eval/gold.ts";
import { programForTask } from "../../src/lib/eval/program.ts";
import { defaultPromptSpec } from "../../src/lib/prompts/types.ts";
import { createNodePool } from "../../src/lib/python/node.ts";
import type { PythonPool } from "../../src/lib/python/pool.ts";
import type { VerdictKind } from "../../src/lib/python/types.ts";
import { openPlaygroundDB } from "../../src/lib/runs/db.ts";
import { RUN_EXPORT_FORMAT, type RunExport } from "../../src/lib/runs/exchange.ts";
import { Runner } from "../../src/lib/runs/runner.ts";
import { buildRunSpec, runnerDeps } from "../../src/lib/runs/spec.ts";
import { RunStore } from "../../src/lib/runs/store.ts";
import type { SampleRecord, VerdictRecord } from "../../src/lib/runs/types.ts";
import { tasksInSplit } from "../../src/lib/tasks/catalog.ts";
import type { Dataset, Task } from "../../src/lib/tasks/types.ts";
import { loadDatasetFromDisk } from "../../src/cli/datasets.ts";
import { openPlayground, startPreview } from "../../src/cli/preview.ts";

const root = resolve(import.meta.dirname, "..", "..");
const PORT = 4179;
const OUT_DIR = "/tmp/sp-bench-pipeline";
/** Generous: MBPP task 123 needs seconds in Pyodide; both sides get the same limit. */
const TIMEOUT_MS = 60_000;
const ROUNDS = 3;
const SAMPLES = 40_000;
const PAGE_REPS = 5;

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ms: number) => (ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`);

// --- (1) pipeline vs bare sandbox --------------------------------------------------------------

async function bare(pool: PythonPool, tasks: readonly Task[]): Promise<{ ms: number; passed: number }> {
  const t0 = performance.now();
  const verdicts = await Promise.all(tasks.map((t) => pool.run(programForTask(t, referenceCode(t)), { timeoutMs: TIMEOUT_MS })));
  return { ms: performance.now() - t0, passed: verdicts.filter((v) => v.kind === "passed").length };
}

async function pipeline(pool: PythonPool, dataset: Dataset, tasks: readonly Task[], round: number): Promise<{ ms: number; passed: number }> {
  const engine = new ReplayEngine(referenceSource(dataset));
  const spec = buildRunSpec({
    dataset: dataset.info,
    split: "test",
    taskIds: tasks.map((t) => t.id),
    prompt: defaultPromptSpec(),
    engine: engine.describe(),
    sampling: { n: 1, temperature: 0, topP: 1, maxTokens: 512, repetitionPenalty: 1, baseSeed: 1 },
    timeoutMs: TIMEOUT_MS,
    pyodideVersion: pool.pyodideVersion,
  });
  const store = new RunStore(await openPlaygroundDB(`bench-pipeline-${round}-${Date.now()}`));
  const t0 = performance.now();
  const run = await store.createRun(spec);
  const status = await new Runner(run, runnerDeps({ spec, dataset, store, engine, executor: pool })).start();
  const ms = performance.now() - t0;
  if (status !== "done") throw new Error(`the pipeline run ended ${status}: ${(await store.getRun(run.id))?.message ?? ""}`);
  const verdicts = await store.verdicts(run.id);
  store.db.close();
  return { ms, passed: verdicts.filter((v) => v.kind === "passed").length };
}

async function pipelineBench(dataset: Dataset): Promise<{ bareMs: number; pipeMs: number; passed: string }> {
  const tasks = tasksInSplit(dataset.tasks, "test");
  const pool = createNodePool();
  try {
    await pool.ready();
    log(`Node pool of ${pool.size} worker(s), Pyodide ${pool.pyodideVersion}; ${tasks.length} programs; warm-up round`);
    await bare(pool, tasks);
    const bareMs: number[] = [];
    const pipeMs: number[] = [];
    let passed = "";
    // Alternating rounds, so drift on a shared machine hits both sides alike.
    for (let r = 0; r < ROUNDS; r++) {
      const b = await bare(pool, tasks);
      const p = await pipeline(pool, dataset, tasks, r);
      bareMs.push(b.ms);
      pipeMs.push(p.ms);
      passed = `bare ${b.passed}/${tasks.length}, pipeline ${p.passed}/${tasks.length}`;
      log(`round ${r + 1}: bare ${fmt(b.ms)}, pipeline ${fmt(p.ms)} (${passed})`);
    }
    return { bareMs: median(bareMs), pipeMs: median(pipeMs), passed };
  } finally {
    await pool.close();
  }
}

// --- (2) the run page with 40,000 samples ------------------------------------------------------

/** A run export of SAMPLES samples over the MBPP test tasks, with realistic sizes and a mix of verdicts. */
function bigExport(dataset: Dataset): RunExport {
  const tasks = tasksInSplit(dataset.tasks, "test");
  const n = SAMPLES / tasks.length;
  const spec = buildRunSpec({
    name: "bench: 40,000 samples",
    dataset: dataset.info,
    split: "test",
    taskIds: tasks.map((t) => t.id),
    prompt: defaultPromptSpec(),
    engine: { kind: "replay", modelId: "replay:bench.jsonl", libraries: {} },
    sampling: { n, temperature: 0.8, topP: 0.95, maxTokens: 512, repetitionPenalty: 1, baseSeed: 1 },
    timeoutMs: 10_000,
    pyodideVersion: "314.0.7",
  });
  const id = "bench-run";
  const kinds: VerdictKind[] = ["passed", "failed", "failed", "error", "passed", "syntax_error", "timeout", "passed"];
  const samples: SampleRecord[] = [];
  const verdicts: VerdictRecord[] = [];
  tasks.forEach((t, ti) => {
    const code = referenceCode(t).replace(/\r\n/g, "\n");
    for (let i = 0; i < n; i++) {
      samples.push({
        runId: id, taskId: t.id, sampleIndex: i, seed: ti * 1000 + i, raw: `${code}\n[DONE]`, code, extractionNotes: ["cut at [DONE]"],
        finishReason: "stop", usage: { promptTokens: 600, completionTokens: 80 }, timings: { totalMs: 900, decodeTokensPerS: 40 }, createdAt: 0,
      });
      const kind = kinds[(ti * 7 + i * 3) % kinds.length]!;
      const failed = kind === "failed" ? 1 : undefined;
      verdicts.push({
        runId: id, taskId: t.id, sampleIndex: i, kind, shownPassed: kind === "passed", hiddenPassed: kind === "passed", hasHidden: false,
        ...(failed !== undefined ? { failedTest: failed } : {}),
        ...(kind === "error" ? { error: { type: "IndexError", message: "list index out of range", line: 3, traceback: "Traceback (most recent call last):\n  File \"<candidate>\", line 3\nIndexError: list index out of range" } } : {}),
        tests: t.tests.map((source, index) => ({ index, source, hidden: false, status: kind === "passed" ? "passed" : index === 1 ? "failed" : index < 1 ? "passed" : "not_run" })),
        stdout: "", stderr: "", truncated: false, durationMs: 2, timeoutMs: 10_000, createdAt: 0,
      });
    }
  });
  return { format: RUN_EXPORT_FORMAT, version: 1, exportedAt: new Date().toISOString(), run: { id, spec, status: "done", createdAt: 0 }, samples, verdicts };
}

async function pageBench(dataset: Dataset): Promise<{ openMs: number[]; filterMs: number[]; errors: string[] }> {
  const preview = await startPreview(root, OUT_DIR, PORT, log);
  const dir = mkdtempSync(join(tmpdir(), "sp-bench-pipeline-"));
  const file = join(dir, "bench.run.json");
  try {
    writeFileSync(file, JSON.stringify(bigExport(dataset)));
    const pg = await openPlayground(preview.url);
    const { page } = pg;
    try {
      log(`importing ${SAMPLES.toLocaleString("en")} samples through the Runs screen`);
      await page.goto(`${preview.url}#/runs`);
      await page.getByTestId("import-run").setInputFiles(file);
      await page.getByTestId("task-table").and(page.locator("[data-ready]")).waitFor({ timeout: 300_000 });
      const runId = await page.getByTestId("run-page").getAttribute("data-run-id");
      const openMs: number[] = [];
      const filterMs: number[] = [];
      for (let rep = 0; rep < PAGE_REPS; rep++) {
        await page.evaluate('location.hash = "#/runs"');
        await page.getByTestId("runs").waitFor();
        // Open: from the hash change to the table painted with its rows (two frames after they exist).
        // The page-side code is a string: tsx's name helpers do not exist in the page.
        openMs.push(
          (await page.evaluate(`(async () => {
            const t0 = performance.now();
            location.hash = "#/runs/" + ${JSON.stringify(runId)};
            await new Promise((resolve) => {
              const check = () => (document.querySelector("[data-testid=task-table][data-ready] [data-testid=task-table-row]") ? resolve() : requestAnimationFrame(check));
              check();
            });
            await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
            return performance.now() - t0;
          })()`)) as number,
        );
        // Filter: typing an id fragment until the narrowed table is painted; then clearing it.
        for (const q of ["12", ""]) {
          filterMs.push(
            (await page.evaluate(`(async () => {
              const input = document.querySelector("[data-testid=task-filter]");
              const count = document.querySelector("[data-testid=task-table-count]");
              const before = count.textContent;
              const t0 = performance.now();
              input.value = ${JSON.stringify(q)};
              input.dispatchEvent(new Event("input", { bubbles: true }));
              await new Promise((resolve) => {
                const check = () => (count.textContent !== before ? resolve() : requestAnimationFrame(check));
                check();
              });
              await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
              return performance.now() - t0;
            })()`)) as number,
          );
        }
        log(`page round ${rep + 1}: open ${fmt(openMs.at(-1)!)}, filter ${fmt(filterMs.at(-2)!)} / clear ${fmt(filterMs.at(-1)!)}`);
      }
      return { openMs, filterMs, errors: pg.errors };
    } finally {
      await pg.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await preview.close();
  }
}

async function main(): Promise<void> {
  const mbpp = await loadDatasetFromDisk("mbpp", join(root, "public", "datasets"));
  const p = await pipelineBench(mbpp);
  const page = await pageBench(mbpp);
  const ratio = p.bareMs / p.pipeMs;
  const open = median(page.openMs);
  const filter = median(page.filterMs);
  const row = (what: string, ours: string, target: string, ok: boolean) => console.log(`${what.padEnd(58)} ${ours.padStart(12)}   target ${target.padEnd(8)} ${ok ? "ok" : "MISSED"}`);
  console.log("\nissue 5 — run pipeline and run page (medians)");
  console.log(`  (${p.passed}; ${ROUNDS} rounds; page: ${PAGE_REPS} opens, ${page.filterMs.length} filter edits)`);
  row("bare sandbox, 500 MBPP test programs (wall)", fmt(p.bareMs), "", true);
  row("pipeline: replay → extract → sandbox → IndexedDB (wall)", fmt(p.pipeMs), "", true);
  row("pipeline throughput ÷ bare sandbox throughput", ratio.toFixed(2), "≥ 0.8", ratio >= 0.8);
  row(`run page open, ${SAMPLES.toLocaleString("en")} samples`, fmt(open), "≤ 1 s", open <= 1000);
  row(`task table filter, ${SAMPLES.toLocaleString("en")} samples`, fmt(filter), "≤ 100 ms", filter <= 100);
  if (page.errors.length) console.log(`page errors: ${page.errors.join(" | ")}`);
}

await main();
