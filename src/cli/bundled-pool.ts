import { Worker } from "node:worker_threads";
import { NODE_WORKER_OPTIONS, nodeWorkerHandle } from "../lib/python/node-handle.ts";
import { PythonPool, type PoolOptions, type WorkerHandle } from "../lib/python/pool.ts";
import type { EvalWorkerData } from "./eval-worker.ts";

/**
 * The Node sandbox pool over a pre-built worker file (src/cli/eval-worker.ts bundled by
 * scripts/eval.mjs). `spawnNodeWorker` in src/lib/python/node.ts starts the same worker through
 * tsx, and so cannot run under Node's permission model without child processes.
 */
export function spawnBundledWorker(workerFile: URL, data: EvalWorkerData): WorkerHandle {
  return nodeWorkerHandle(new Worker(workerFile, { workerData: data, ...NODE_WORKER_OPTIONS }));
}

export function createBundledNodePool(workerFile: URL, data: EvalWorkerData, options: Partial<PoolOptions> & { size: number }): PythonPool {
  return new PythonPool(() => spawnBundledWorker(workerFile, data), options);
}
