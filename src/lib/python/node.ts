import { availableParallelism } from "node:os";
import { pathToFileURL } from "node:url";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import type { SandboxWorkerApi } from "./worker-core.ts";
import { PythonPool, type PoolOptions, type WorkerHandle } from "./pool.ts";

const workerUrl = new URL("./node-worker.ts", import.meta.url).href;
// The worker is TypeScript: it registers tsx's loader (as the tests and scripts run under) first.
// execArgv "--import tsx" is not honoured by worker threads on Node 20.
const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm/api").replace(/index\.cjs$/, "index.mjs")).href;
const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(workerUrl)}); })`;

export function spawnNodeWorker(): WorkerHandle {
  const worker = new Worker(bootstrap, {
    eval: true,
    // Pyodide's own stack needs room: deep (legal) recursion runs on the thread's stack.
    resourceLimits: { stackSizeMb: 16 },
    stdout: true,
    stderr: true,
  });
  // Pyodide prints its fatal-error report to the console; keep it out of the caller's output.
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

/** The sandbox pool on Node worker threads (default size: cores − 1, at least 1). */
export function createNodePool(options: Partial<PoolOptions> = {}): PythonPool {
  return new PythonPool(spawnNodeWorker, { size: Math.max(1, availableParallelism() - 1), ...options });
}
