import { Worker } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import { PythonPool, type PoolOptions, type WorkerHandle } from "../lib/python/pool.ts";
import type { SandboxWorkerApi } from "../lib/python/worker-core.ts";
import type { EvalWorkerData } from "./eval-worker.ts";

/**
 * The Node sandbox pool over a pre-built worker file (src/cli/eval-worker.ts bundled by
 * scripts/eval.mjs). It mirrors `spawnNodeWorker` in src/lib/python/node.ts, which starts its
 * worker through tsx and so cannot run under Node's permission model without child processes.
 */
export function spawnBundledWorker(workerFile: URL, data: EvalWorkerData): WorkerHandle {
  const worker = new Worker(workerFile, {
    workerData: data,
    // Pyodide's own stack needs room: deep (legal) recursion runs on the thread's stack.
    resourceLimits: { stackSizeMb: 16 },
    stdout: true,
    stderr: true,
  });
  // Pyodide prints its fatal-error report to the console; keep it out of the evaluator's output.
  worker.stdout.resume();
  worker.stderr.resume();
  const api = Comlink.wrap<SandboxWorkerApi>(nodeEndpoint(worker));
  const interruptBuffer = new Uint8Array(new SharedArrayBuffer(1));
  const deathListeners: ((reason: string) => void)[] = [];
  let dead = false;
  let terminated = false;
  const die = (reason: string) => {
    if (dead) return;
    dead = true;
    for (const l of deathListeners) l(reason);
  };
  worker.on("error", (e) => die(e.message));
  worker.on("exit", (code) => die(`the worker thread exited (code ${code})`));
  return {
    api: { init: (opts) => api.init(opts), run: (program) => api.run(program) },
    interruptBuffer,
    interrupt() {
      interruptBuffer[0] = 2;
      return true;
    },
    terminate() {
      if (terminated) return;
      terminated = dead = true;
      void worker.terminate();
    },
    onDeath(cb) {
      deathListeners.push(cb);
    },
  };
}

export function createBundledNodePool(workerFile: URL, data: EvalWorkerData, options: Partial<PoolOptions> & { size: number }): PythonPool {
  return new PythonPool(() => spawnBundledWorker(workerFile, data), options);
}
