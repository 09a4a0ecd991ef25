// The Python sandbox as a Node worker thread (tests, benchmarks, the headless evaluator): the same
// worker core as the browser's, over comlink's Node adapter, locked down for Node's own host access.
import { createRequire } from "node:module";
import { dirname, sep } from "node:path";
import { parentPort } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import { loadPyodide } from "pyodide";
import { lockDownNodeWorker } from "./node-lockdown.ts";
import { createSandboxWorker } from "./worker-core.ts";

if (!parentPort) throw new Error("node-worker.ts must run in a worker thread");
// Pyodide guesses its folder from the caller's stack, which an eval'd worker does not have.
const indexURL = dirname(createRequire(import.meta.url).resolve("pyodide/pyodide.mjs")) + sep;
const api = createSandboxWorker(
  (opts) => loadPyodide({ indexURL, ...opts }),
  () => lockDownNodeWorker(),
  () => performance.now(),
);
Comlink.expose(api, nodeEndpoint(parentPort));
