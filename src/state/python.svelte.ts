import { getContext, setContext } from "svelte";
import { createBrowserPool } from "../lib/python/browser.ts";
import type { PythonPool } from "../lib/python/pool.ts";

let shared: PythonPool | null = null;

/** One pool per page: the explorer, runs and the console API (devtools.ts) share it. */
export function sharedPythonPool(): PythonPool {
  shared ??= createBrowserPool();
  return shared;
}

export type PythonStatus = "idle" | "loading" | "ready" | "failed";

/** Starts Python on first use and reports its state to the views. */
export class PythonState {
  #status = $state<PythonStatus>("idle");
  #error = $state<string | null>(null);

  get status(): PythonStatus {
    return this.#status;
  }
  get error(): string | null {
    return this.#error;
  }
  /** Without cross-origin isolation there is no interrupt buffer: runaways end by terminating the worker. */
  get isolated(): boolean {
    return typeof crossOriginIsolated !== "undefined" && crossOriginIsolated;
  }

  pool(): PythonPool {
    const pool = sharedPythonPool();
    if (this.#status === "idle" || this.#status === "failed") {
      this.#status = "loading";
      this.#error = null;
      pool.ready().then(
        () => (this.#status = "ready"),
        (e: unknown) => {
          this.#status = "failed";
          this.#error = String((e as Error)?.message ?? e);
        },
      );
    }
    return pool;
  }
}

const KEY = Symbol("python");
export function createPythonState(): PythonState {
  return setContext(KEY, new PythonState());
}
export function usePython(): PythonState {
  return getContext<PythonState>(KEY);
}
