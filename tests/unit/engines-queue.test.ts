import { describe, expect, it } from "vitest";
import { EngineQueue } from "../../src/lib/engines/queue.ts";
import { abortError, isAbortError } from "../../src/lib/engines/types.ts";

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe("EngineQueue", () => {
  it("runs requests one at a time in call order, never interleaved", async () => {
    const q = new EngineQueue();
    const log: string[] = [];
    const gates = [deferred(), deferred(), deferred()];
    const results = gates.map((g, i) =>
      q.run(async () => {
        log.push(`start ${i}`);
        await g.promise;
        log.push(`end ${i}`);
        return i;
      }),
    );
    await Promise.resolve();
    expect(log).toEqual(["start 0"]);
    expect(q.pending).toBe(2);
    // Finish them out of order: the queue must still not start 2 before 1 ends.
    gates[2]!.resolve();
    gates[1]!.resolve();
    gates[0]!.resolve();
    expect(await Promise.all(results)).toEqual([0, 1, 2]);
    expect(log).toEqual(["start 0", "end 0", "start 1", "end 1", "start 2", "end 2"]);
    expect(q.pending).toBe(0);
    expect(q.busy).toBe(false);
  });

  it("removes a queued request when its signal aborts, without running it", async () => {
    const q = new EngineQueue();
    const gate = deferred();
    const ran: number[] = [];
    const first = q.run(async () => {
      ran.push(0);
      await gate.promise;
    });
    const ctl = new AbortController();
    const second = q.run(async () => void ran.push(1), ctl.signal);
    const third = q.run(async () => void ran.push(2));
    expect(q.pending).toBe(2);
    ctl.abort();
    await expect(second).rejects.toMatchObject({ name: "AbortError" });
    expect(q.pending).toBe(1);
    gate.resolve();
    await first;
    await third;
    expect(ran).toEqual([0, 2]);
  });

  it("rejects at once when the signal is already aborted", async () => {
    const q = new EngineQueue();
    const ctl = new AbortController();
    ctl.abort();
    let ran = false;
    await expect(q.run(async () => void (ran = true), ctl.signal)).rejects.toSatisfy(isAbortError);
    expect(ran).toBe(false);
  });

  it("keeps going after a request fails, synchronously or not", async () => {
    const q = new EngineQueue();
    const a = q.run(() => Promise.reject(new Error("boom")));
    const b = q.run(() => {
      throw new Error("sync boom");
    });
    const c = q.run(async () => "ok");
    await expect(a).rejects.toThrow("boom");
    await expect(b).rejects.toThrow("sync boom");
    expect(await c).toBe("ok");
  });

  it("clear() rejects every waiting request but not the running one", async () => {
    const q = new EngineQueue();
    const gate = deferred();
    const running = q.run(async () => {
      await gate.promise;
      return "done";
    });
    const waiting = q.run(async () => "never");
    q.clear(new Error("engine unloaded"));
    await expect(waiting).rejects.toThrow("engine unloaded");
    gate.resolve();
    expect(await running).toBe("done");
  });

  it("abortError keeps the signal's own AbortError and wraps a string reason", () => {
    const ctl = new AbortController();
    ctl.abort();
    const e = abortError(ctl.signal);
    expect(e.name).toBe("AbortError");
    const c2 = new AbortController();
    c2.abort("user pressed Stop");
    expect(abortError(c2.signal).message).toBe("user pressed Stop");
  });
});
