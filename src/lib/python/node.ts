import { availableParallelism } from "node:os";
import { pathToFileURL } from "node:url";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { NODE_WORKER_OPTIONS, nodeWorkerHandle } from "./node-handle.ts";
import { PythonPool, type PoolOptions, type WorkerHandle } from "./pool.ts";

const workerUrl = new URL("./node-worker.ts", import.meta.url).href;
// The worker is TypeScript: it registers tsx's loader (as the tests and scripts run under) first.
// execArgv "--import tsx" is not honoured by worker threads on Node 20.
const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm/api").replace(/index\.cjs$/, "index.mjs")).href;
const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(workerUrl)}); })`;

export function spawnNodeWorker(): WorkerHandle {
  return nodeWorkerHandle(new Worker(bootstrap, { eval: true, ...NODE_WORKER_OPTIONS }));
}

/** The sandbox pool on Node worker threads (default size: cores − 1, at least 1). */
export function createNodePool(options: Partial<PoolOptions> = {}): PythonPool {
  return new PythonPool(spawnNodeWorker, { size: Math.max(1, availableParallelism() - 1), ...options });
}
