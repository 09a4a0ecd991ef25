// `npm run verify:gold [-- --only node|chromium] [--dataset id]`: every reference solution (MBPP 974
// with challenge tests, sanitized MBPP 427, HumanEval 164) through the sandbox in Node (worker
// threads) and in Chromium (the built site's own pool, via `playground.verifyGold`). Prints counts
// per dataset and environment and every failure with its reason; exits 1 if any fails.
// Reference solutions are trusted code, so this runs without the evaluator's permission model.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { runGold, type GoldReport } from "../lib/eval/gold.ts";
import { createNodePool } from "../lib/python/node.ts";
import { DEFAULT_TIMEOUT_MS } from "../lib/python/pool.ts";
import { CLI_DATASETS, isCliDataset, loadDatasetFromDisk, type CliDatasetId } from "./datasets.ts";
import { openPlayground, startPreview } from "./preview.ts";

const root = resolve(import.meta.dirname, "..", "..");
const PORT = 4178;
const OUT_DIR = "/tmp/sp-gold";

const log = (msg: string) => process.stderr.write(`[gold] ${msg}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

interface Row {
  env: "node" | "chromium";
  dataset: CliDatasetId;
  report: GoldReport;
}

async function inNode(datasets: CliDatasetId[]): Promise<Row[]> {
  const pool = createNodePool();
  const rows: Row[] = [];
  try {
    const t0 = performance.now();
    await pool.ready();
    log(`node: ${pool.size} worker(s), Python ready after ${secs(performance.now() - t0)}`);
    for (const id of datasets) {
      const dataset = await loadDatasetFromDisk(id, resolve(root, "public", "datasets"));
      log(`node: ${dataset.tasks.length} reference solutions of ${dataset.info.name}`);
      rows.push({ env: "node", dataset: id, report: await runGold(pool, dataset.tasks, { timeoutMs: DEFAULT_TIMEOUT_MS }) });
    }
  } finally {
    pool.close();
  }
  return rows;
}

async function inChromium(datasets: CliDatasetId[]): Promise<Row[]> {
  const preview = await startPreview(root, OUT_DIR, PORT, log);
  const rows: Row[] = [];
  try {
    const pg = await openPlayground(preview.url);
    try {
      for (const id of datasets) {
        log(`chromium: reference solutions of ${id}`);
        const report = await pg.page.evaluate((d) => globalThis.playground.verifyGold(d), id);
        rows.push({ env: "chromium", dataset: id, report });
      }
      if (pg.errors.length) log(`chromium console errors:\n  ${pg.errors.join("\n  ")}`);
    } finally {
      await pg.close();
    }
  } finally {
    await preview.close();
  }
  return rows;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { only: { type: "string" }, dataset: { type: "string", multiple: true } } });
  const envs = values.only ? values.only.split(",") : ["node", "chromium"];
  for (const e of envs) if (e !== "node" && e !== "chromium") throw new Error(`--only takes node, chromium or both (got "${e}")`);
  const datasets = (values.dataset ?? [...CLI_DATASETS]).map((d) => {
    if (!isCliDataset(d)) throw new Error(`--dataset must be one of ${CLI_DATASETS.join(", ")} (got "${d}")`);
    return d;
  });
  const rows: Row[] = [];
  if (envs.includes("node")) rows.push(...(await inNode(datasets)));
  if (envs.includes("chromium")) rows.push(...(await inChromium(datasets)));

  const lines = ["environment  dataset          passed      wall      slowest program"];
  for (const { env, dataset, report: r } of rows) {
    lines.push(`${env.padEnd(12)} ${dataset.padEnd(16)} ${`${r.passed}/${r.total}`.padEnd(11)} ${secs(r.wallMs).padStart(7)}   ${r.slowest.taskId} (${secs(r.slowest.ms)})`);
  }
  const failures = rows.flatMap(({ env, dataset, report }) => report.failures.map((f) => `${env} ${dataset} task ${f.taskId}: ${f.kind} — ${f.detail}`));
  if (failures.length) lines.push("", `${failures.length} failure(s):`, ...failures.map((f) => `  ${f}`));
  else lines.push("", "every reference solution passed");
  process.stdout.write(`${lines.join("\n")}\n`);
  return failures.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    const err = e as Error;
    process.stderr.write(`[gold] ${err.name}: ${err.message}\n`);
    process.exit(1);
  },
);
