// The sandbox worker thread of the headless evaluator. Same as src/lib/python/node-worker.ts, but
// built by esbuild into plain JavaScript: under Node's permission model the worker cannot run tsx
// (its esbuild service is a child process, which the evaluator denies). Pyodide stays outside the
// bundle and is imported from node_modules, whose folder the worker may read.
import { constants as fsConstants } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import type { PyodideAPI } from "pyodide";
import { lockDownNodeWorker } from "../lib/python/node-lockdown.ts";
import { createSandboxWorker } from "../lib/python/worker-core.ts";

export interface EvalWorkerData {
  /** file: URL of node_modules/pyodide/pyodide.mjs. */
  pyodideModule: string;
  /** Its folder, with a trailing separator (Pyodide's indexURL). */
  indexURL: string;
}

if (!parentPort) throw new Error("src/cli/eval-worker.ts must run in a worker thread (the evaluator starts it)");
const data = workerData as EvalWorkerData;
// Emscripten's NODEFS reads its open() flags from process.binding("constants"), which the
// permission model refuses (ERR_ACCESS_DENIED: process.binding) and so Pyodide cannot start.
// Those flags are plain numbers that node:fs also exports; nothing else is answered. (The
// lockdown replaces process.binding with a refusal once Pyodide has loaded.)
const proc = process as unknown as { binding: (name: string) => unknown };
const binding = proc.binding.bind(process);
proc.binding = (name: string) => (name === "constants" ? { fs: fsConstants } : binding(name));
type LoadPyodide = (opts: { indexURL: string; _makeSnapshot?: boolean; _loadSnapshot?: Uint8Array }) => Promise<PyodideAPI>;
const { loadPyodide } = (await import(data.pyodideModule)) as { loadPyodide: LoadPyodide };
const api = createSandboxWorker(
  (opts) => loadPyodide({ indexURL: data.indexURL, ...opts }),
  () => lockDownNodeWorker(),
  () => performance.now(),
);
Comlink.expose(api, nodeEndpoint(parentPort));
