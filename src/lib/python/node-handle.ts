import type { Worker } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import type { SandboxWorkerApi } from "./worker-core.ts";
import { DeathNotice, type WorkerHandle } from "./pool.ts";

/**
 * Worker-thread options every Node sandbox worker gets: Pyodide's own stack needs room (deep,
 * legal recursion runs on the thread's stack), and its output is piped so that Pyodide's
 * fatal-error report never reaches the caller's console.
 */
export const NODE_WORKER_OPTIONS = { resourceLimits: { stackSizeMb: 16 }, stdout: true, stderr: true } as const;

/**
 * The pool's view of a Node worker thread running the sandbox (src/lib/python/node-worker.ts
 * through tsx, or the evaluator's bundled copy): comlink over the thread's port, the shared
 * interrupt byte, and death reported once whether the thread errs, exits or is terminated.
 */
export function nodeWorkerHandle(worker: Worker): WorkerHandle {
  worker.stdout.resume();
  worker.stderr.resume();
  const api = Comlink.wrap<SandboxWorkerApi>(nodeEndpoint(worker));
  const interruptBuffer = new Uint8Array(new SharedArrayBuffer(1));
  const death = new DeathNotice();
  let terminated = false;
  worker.on("error", (e) => death.die(e.message));
  worker.on("exit", (code) => death.die(`the worker thread exited (code ${code})`));
  return {
    api: { init: (opts) => api.init(opts), run: (program) => api.run(program) },
    interruptBuffer,
    interrupt() {
      interruptBuffer[0] = 2;
      return true;
    },
    terminate() {
      if (terminated) return;
      terminated = true;
      death.silence();
      void worker.terminate();
    },
    onDeath: (cb) => death.listen(cb),
  };
}
