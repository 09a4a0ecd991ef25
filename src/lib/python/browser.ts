import * as Comlink from "comlink";
import type { SandboxWorkerApi } from "./worker-core.ts";
import { DeathNotice, PythonPool, type PoolOptions, type WorkerHandle } from "./pool.ts";

/** A sandbox worker in the browser; the interrupt byte needs cross-origin isolation. */
function spawnBrowserWorker(): WorkerHandle {
  const worker = new Worker(new URL("../../../workers/python.worker.ts", import.meta.url), { type: "module", name: "python-sandbox" });
  const channel = new MessageChannel();
  worker.postMessage({ port: channel.port2 }, [channel.port2]);
  const api = Comlink.wrap<SandboxWorkerApi>(channel.port1);
  const interruptBuffer = typeof SharedArrayBuffer !== "undefined" && globalThis.crossOriginIsolated ? new Uint8Array(new SharedArrayBuffer(1)) : undefined;
  const death = new DeathNotice();
  let terminated = false;
  worker.addEventListener("error", (e) => {
    e.preventDefault();
    death.die(e.message || "the worker raised an uncaught error");
  });
  worker.addEventListener("messageerror", () => death.die("a message from the worker could not be read"));
  return {
    api: {
      init: (opts) => api.init(opts),
      run: (program) => api.run(program),
    },
    interruptBuffer,
    interrupt() {
      if (!interruptBuffer) return false;
      interruptBuffer[0] = 2; // SIGINT: Python raises KeyboardInterrupt at its next check.
      return true;
    },
    terminate() {
      if (terminated) return;
      terminated = true;
      death.silence();
      api[Comlink.releaseProxy]();
      channel.port1.close();
      worker.terminate();
    },
    onDeath: (cb) => death.listen(cb),
  };
}

export function defaultPoolSize(): number {
  const cores = typeof navigator !== "undefined" ? navigator.hardwareConcurrency || 2 : 2;
  return Math.max(1, cores - 1);
}

export function createBrowserPool(options: Partial<PoolOptions> = {}): PythonPool {
  return new PythonPool(spawnBrowserWorker, { size: defaultPoolSize(), ...options });
}
