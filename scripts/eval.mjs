#!/usr/bin/env node
// `npm run eval -- <samples.jsonl> --dataset mbpp|mbpp-sanitized|humaneval [--k 1,10,100] [--timeout ms]`
//
// In Node, Pyodide reaches the host: `os.system` runs a real shell, and with the JS bridge anything
// `process` can do is one step away (../shared/notes/RUNTIME_FACTS.md §6). The sandbox's worker
// threads lock themselves down (src/lib/python/node-lockdown.ts); this launcher adds the second
// wall. It bundles the evaluator (src/cli/eval.ts) and its worker (src/cli/eval-worker.ts) into a
// fresh scratch folder with esbuild, then runs them in a new Node process under the permission
// model: no child processes, no native addons, no WASI, reads only of Pyodide's files, the dataset
// folder, the scratch folder and the samples file, writes only to the scratch folder and the
// verdicts file. Node 20's permission model has no network switch; the network stays shut because
// the workers remove the network APIs and Pyodide's sockets need the `ws` package, which the
// process cannot read.
//
// Why a bundle and not tsx: tsx compiles through esbuild's service, a child process, which the
// permission model (rightly) refuses; plain JavaScript needs no compiler at run time.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
// Relative paths are the user's: `npm run` moves to the project folder but says where it was.
const base = process.env.npm_lifecycle_event === "eval" && process.env.INIT_CWD ? process.env.INIT_CWD : process.cwd();

// Only the paths are needed here; src/cli/eval.ts validates every option and prints the usage.
let samples;
let out;
try {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    // Every option that takes a value is declared, so that value is not taken for the file name.
    options: {
      dataset: { type: "string" },
      k: { type: "string" },
      timeout: { type: "string" },
      workers: { type: "string" },
      out: { type: "string" },
      "keep-scratch": { type: "boolean" },
    },
  });
  if (positionals.length === 1) {
    samples = resolve(base, String(positionals[0]));
    out = resolve(base, typeof values.out === "string" ? values.out : `${samples}.verdicts.jsonl`);
  }
} catch {
  /* the evaluator reports the problem */
}
if (samples && !existsSync(samples)) {
  console.error(`[eval] ${samples} does not exist: name a samples file (JSONL, one {"task_id", "completion"} per line)`);
  process.exit(2);
}

const pyodideDir = dirname(fileURLToPath(import.meta.resolve("pyodide/pyodide.mjs")));
const datasetsDir = join(root, "public", "datasets");
// realpath: the permission model compares resolved paths, and os.tmpdir() may be a symlink.
const scratch = realpathSync(mkdtempSync(join(tmpdir(), "sp-eval-")));
const keep = argv.includes("--keep-scratch");
const childArgs = argv.filter((a) => a !== "--keep-scratch");
console.error(`[eval] scratch folder ${scratch}${keep ? "" : " (removed afterwards)"}`);

try {
  await build({
    entryPoints: { eval: join(root, "src/cli/eval.ts"), "eval-worker": join(root, "src/cli/eval-worker.ts") },
    outdir: scratch,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // Pyodide is loaded from node_modules at run time (it finds its wasm and stdlib beside itself).
    external: ["pyodide"],
    logLevel: "warning",
  });
} catch (e) {
  rmSync(scratch, { recursive: true, force: true });
  console.error(`[eval] building the evaluator failed: ${e.message}`);
  process.exit(1);
}

const permission = [
  "--experimental-permission",
  "--allow-worker",
  `--allow-fs-read=${pyodideDir}`,
  `--allow-fs-read=${datasetsDir}`,
  `--allow-fs-read=${scratch}`,
  ...(samples ? [`--allow-fs-read=${samples}`] : []),
  `--allow-fs-write=${scratch}`,
  ...(out ? [`--allow-fs-write=${out}`] : []),
  // Known and intended: the permission model is experimental, and workers share its limits.
  "--disable-warning=ExperimentalWarning",
  "--disable-warning=SecurityWarning",
];
const child = spawn(process.execPath, [...permission, join(scratch, "eval.mjs"), ...childArgs], {
  // The evaluator resolves the file names it was given against the same folder as this launcher.
  cwd: base,
  stdio: "inherit",
  env: {
    ...process.env,
    TMPDIR: scratch,
    SP_EVAL_WORKER: pathToFileURL(join(scratch, "eval-worker.mjs")).href,
    SP_PYODIDE_DIR: pyodideDir,
    SP_DATASETS_DIR: datasetsDir,
  },
});
const forward = (signal) => child.kill(signal);
process.on("SIGINT", forward);
process.on("SIGTERM", forward);
child.on("exit", (code, signal) => {
  if (!keep) rmSync(scratch, { recursive: true, force: true });
  else console.error(`[eval] scratch folder kept: ${scratch}`);
  process.exit(code ?? (signal ? 1 : 0));
});
