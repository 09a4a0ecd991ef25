import { abortError } from "./types.ts";

interface Entry {
  start: () => void;
  cancel: (e: unknown) => void;
}

/**
 * One request at a time, in call order. Concurrent requests to one web-llm model used to
 * interleave into garbage (mlc-ai/web-llm#522); every engine gets the same guarantee here.
 * A request aborted while waiting is removed and rejects with an AbortError; one aborted while
 * running is the task's business (it receives the signal).
 */
export class EngineQueue {
  private readonly waiting: Entry[] = [];
  private running = false;

  get pending(): number {
    return this.waiting.length;
  }

  get busy(): boolean {
    return this.running;
  }

  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) {
          this.waiting.splice(i, 1);
          reject(abortError(signal));
        }
      };
      const entry: Entry = {
        start: () => {
          signal?.removeEventListener("abort", onAbort);
          this.running = true;
          let p: Promise<T>;
          try {
            p = task();
          } catch (e) {
            p = Promise.reject(e);
          }
          p.then(resolve, reject).finally(() => {
            this.running = false;
            this.next();
          });
        },
        cancel: (e) => {
          signal?.removeEventListener("abort", onAbort);
          reject(e);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(entry);
      if (!this.running) this.next();
    });
  }

  /** Rejects every waiting request with `reason` (the running one is left alone). */
  clear(reason: unknown): void {
    for (const e of this.waiting.splice(0)) e.cancel(reason);
  }

  private next(): void {
    if (this.running) return;
    this.waiting.shift()?.start();
  }
}
