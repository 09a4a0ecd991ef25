import type { TestProgram } from "../eval/program.ts";
import type { RawResult, SandboxLimits, SandboxWorkerApi } from "./worker-core.ts";
import { DEFAULT_LIMITS } from "./worker-core.ts";
import type { RunOptions, Sandbox, TestResult, Verdict } from "./types.ts";

/**
 * A limit every reference solution passes with room to spare: the slowest, MBPP task 123, takes
 * about 12 s in Pyodide on a 2-core machine (twice CPython's time). Runs may calibrate their own.
 */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** How long an interrupted program gets to unwind before its worker is terminated. */
export const INTERRUPT_GRACE_MS = 400;

/** One sandbox worker as the pool sees it; `browser.ts` and `node.ts` make them. */
export interface WorkerHandle {
  api: Pick<SandboxWorkerApi, "init" | "run">;
  /** Raises KeyboardInterrupt in the running program; false where there is no shared memory. */
  interrupt(): boolean;
  /** The shared interrupt byte handed to `init`, when the platform has SharedArrayBuffer. */
  interruptBuffer?: Uint8Array;
  terminate(): void;
  /** Called once if the worker dies on its own (an uncaught error, process exit). */
  onDeath(cb: (reason: string) => void): void;
}

export type SpawnWorker = () => WorkerHandle;

/**
 * A handle's death reporting: `die` tells the listeners once; after `silence` (the pool
 * terminated the worker itself) the error and exit events that follow are not a death.
 */
export class DeathNotice {
  #listeners: ((reason: string) => void)[] = [];
  #over = false;
  die(reason: string): void {
    if (this.#over) return;
    this.#over = true;
    for (const l of this.#listeners) l(reason);
  }
  silence(): void {
    this.#over = true;
  }
  listen(cb: (reason: string) => void): void {
    this.#listeners.push(cb);
  }
}

export interface PoolOptions {
  /** Workers running programs at once (default: cores − 1, at least 1). */
  size: number;
  /** Pre-warmed workers held back to replace a killed one at once (default 1). */
  spares?: number;
  limits?: Partial<SandboxLimits>;
  /** Start later workers from a Pyodide memory snapshot of the first (default true). */
  useSnapshot?: boolean;
  /** Worker deaths in a row, without one successful start between, before the pool gives up. */
  maxConsecutiveFailures?: number;
}

export class SandboxUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SandboxUnavailableError";
  }
}

interface Job {
  program: TestProgram;
  options: RunOptions;
  resolve(v: Verdict): void;
  reject(e: Error): void;
}

interface Slot {
  handle: WorkerHandle;
  ready: Promise<void>;
  isReady: boolean;
  busy: boolean;
  dead: boolean;
  /** Called with a reason when the worker dies while running a job. */
  onDeath?: (reason: string) => void;
}

export interface PoolStats {
  size: number;
  ready: number;
  busy: number;
  queued: number;
  spares: number;
  /** Workers started so far, and how many of those came from the memory snapshot. */
  started: number;
  fromSnapshot: number;
  /** Workers terminated because a program could not be stopped any other way, or crashed. */
  replaced: number;
  interruptible: boolean;
  /** Why workers start without the memory snapshot (they then load Pyodide plainly, ~4 s). */
  snapshotError?: string;
}

/**
 * A pool of Pyodide workers behind one FIFO queue. Timeouts interrupt first (KeyboardInterrupt via
 * the shared interrupt byte) and terminate after a short grace; a terminated or crashed worker's
 * place is taken at once by a pre-warmed spare, so the queue never waits for a Python start-up.
 */
export class PythonPool implements Sandbox {
  readonly size: number;
  readonly #spawn: SpawnWorker;
  readonly #limits: SandboxLimits;
  readonly #useSnapshot: boolean;
  readonly #spareTarget: number;
  readonly #maxFailures: number;
  #snapshot: Uint8Array | undefined;
  #snapshotTried = false;
  #first: Promise<void> | null = null;
  #waiters: { resolve(): void; reject(e: Error): void }[] = [];
  #slots: Slot[] = [];
  #spares: Slot[] = [];
  #queue: Job[] = [];
  #failures = 0;
  #fatal: Error | null = null;
  #closed = false;
  #started = 0;
  #fromSnapshot = 0;
  #replaced = 0;
  #interruptible = false;
  #snapshotError: string | undefined;
  pyodideVersion = "";

  constructor(spawn: SpawnWorker, options: PoolOptions) {
    this.size = Math.max(1, Math.floor(options.size));
    this.#spawn = spawn;
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#useSnapshot = options.useSnapshot ?? true;
    this.#spareTarget = options.spares ?? 1;
    this.#maxFailures = options.maxConsecutiveFailures ?? 3;
  }

  /** Resolves when a worker can take programs (starting the pool if needed). */
  ready(): Promise<void> {
    if (this.#fatal) return Promise.reject(this.#fatal);
    this.#first ??= this.#start();
    return this.#first;
  }

  get stats(): PoolStats {
    return {
      size: this.size,
      ready: this.#slots.filter((s) => s.isReady).length,
      busy: this.#slots.filter((s) => s.busy).length,
      queued: this.#queue.length,
      spares: this.#spares.filter((s) => s.isReady).length,
      started: this.#started,
      fromSnapshot: this.#fromSnapshot,
      replaced: this.#replaced,
      interruptible: this.#interruptible,
      snapshotError: this.#snapshotError,
    };
  }

  run(program: TestProgram, options: RunOptions): Promise<Verdict> {
    if (this.#closed) return Promise.reject(new SandboxUnavailableError("the Python pool was closed"));
    if (this.#fatal) return Promise.reject(this.#fatal);
    return new Promise<Verdict>((resolve, reject) => {
      const job: Job = { program, options, resolve, reject };
      if (options.signal?.aborted) {
        resolve(notRun(program, options, "stopped before it started"));
        return;
      }
      options.signal?.addEventListener(
        "abort",
        () => {
          const i = this.#queue.indexOf(job);
          if (i >= 0) {
            this.#queue.splice(i, 1);
            resolve(notRun(program, options, "stopped before it started"));
          }
        },
        { once: true },
      );
      this.#queue.push(job);
      void this.ready().then(
        () => this.#pump(),
        (e: unknown) => this.#failAll(e as Error),
      );
    });
  }

  /** Terminates every worker; queued programs are rejected. */
  close(): void {
    this.#closed = true;
    for (const s of [...this.#slots, ...this.#spares]) s.handle.terminate();
    this.#slots = [];
    this.#spares = [];
    this.#failAll(new SandboxUnavailableError("the Python pool was closed"));
  }

  #start(): Promise<void> {
    // The first worker makes the snapshot that every later one starts from (~0.3–0.7 s instead of ~4 s).
    // If it fails to start, its replacement (started by #discard) is awaited instead, up to the
    // failure limit, so one failed download does not leave the pool unusable until a reload.
    const started = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#slots.push(this.#newSlot(this.#useSnapshot));
    return started.then(() => {
      for (let i = 1; i < this.size; i++) this.#slots.push(this.#newSlot(false));
      this.#topUpSpares();
    });
  }

  #newSlot(makeSnapshot: boolean): Slot {
    const handle = this.#spawn();
    this.#started++;
    const slot: Slot = { handle, ready: Promise.resolve(), isReady: false, busy: false, dead: false };
    handle.onDeath((reason) => {
      if (slot.dead) return;
      slot.dead = true;
      if (slot.onDeath) slot.onDeath(reason);
      else this.#discard(slot);
    });
    if (handle.interruptBuffer) this.#interruptible = true;
    slot.ready = handle.api
      .init({
        limits: this.#limits,
        interrupt: handle.interruptBuffer,
        makeSnapshot: makeSnapshot && !this.#snapshotTried,
        snapshot: this.#useSnapshot ? this.#snapshot : undefined,
      })
      .then((info) => {
        if (makeSnapshot) {
          this.#snapshotTried = true;
          this.#snapshot = info.snapshot;
        }
        if (info.fromSnapshot) this.#fromSnapshot++;
        if (info.snapshotError) this.#snapshotError = info.snapshotError;
        this.pyodideVersion = info.pyodideVersion;
        slot.isReady = true;
        this.#failures = 0;
        for (const w of this.#waiters.splice(0)) w.resolve();
        this.#pump();
      })
      .catch((e: unknown) => {
        slot.dead = true;
        handle.terminate();
        this.#failures++;
        const msg = String((e as Error)?.message ?? e);
        if (this.#failures >= this.#maxFailures) {
          this.#fatal = new SandboxUnavailableError(
            `Python could not start ${this.#failures} times in a row (last error: ${msg}). Reload the page; if it persists, the browser may lack WebAssembly memory.`,
          );
          this.#failAll(this.#fatal);
          throw this.#fatal;
        }
        this.#discard(slot);
        throw e;
      });
    slot.ready.catch(() => undefined);
    return slot;
  }

  #topUpSpares(): void {
    if (this.#closed || this.#fatal) return;
    this.#spares = this.#spares.filter((s) => !s.dead);
    while (this.#spares.length < this.#spareTarget) this.#spares.push(this.#newSlot(false));
  }

  /** A worker is gone: a spare takes its place (or a new one starts), and a new spare warms up. */
  #discard(slot: Slot): void {
    slot.dead = true;
    slot.handle.terminate();
    const i = this.#slots.indexOf(slot);
    if (i >= 0) {
      const spare = this.#spares.shift();
      this.#slots[i] = spare ?? this.#newSlot(false);
      this.#replaced++;
    } else {
      this.#spares = this.#spares.filter((s) => s !== slot);
    }
    if (!this.#closed) this.#topUpSpares();
    this.#pump();
  }

  #pump(): void {
    while (this.#queue.length) {
      const slot = this.#slots.find((s) => s.isReady && !s.busy && !s.dead);
      if (!slot) return;
      const job = this.#queue.shift()!;
      void this.#execute(slot, job);
    }
  }

  async #execute(slot: Slot, job: Job): Promise<void> {
    slot.busy = true;
    const { program, options } = job;
    const timeoutMs = options.timeoutMs;
    let stopReason: "timeout" | "stopped" | null = null;
    let killTimer: ReturnType<typeof setTimeout> | undefined;
    const started = performance.now();
    let settle!: (r: RawResult | { killed: string }) => void;
    const outcome = new Promise<RawResult | { killed: string }>((res) => (settle = res));

    const stop = (why: "timeout" | "stopped") => {
      if (stopReason) return;
      stopReason = why;
      // Interrupt first; what ignores KeyboardInterrupt (time.sleep, C loops, except-all) is killed.
      const interrupted = slot.handle.interrupt();
      killTimer = setTimeout(() => settle({ killed: why }), interrupted ? INTERRUPT_GRACE_MS : 0);
    };
    const timer = setTimeout(() => stop("timeout"), timeoutMs);
    const onAbort = () => stop("stopped");
    options.signal?.addEventListener("abort", onAbort, { once: true });
    slot.onDeath = (reason) => settle({ killed: `crash:${reason}` });

    slot.handle.api.run(program).then(settle, (e: unknown) => settle({ killed: `crash:${String((e as Error)?.message ?? e)}` }));
    const r = await outcome;
    clearTimeout(timer);
    clearTimeout(killTimer);
    options.signal?.removeEventListener("abort", onAbort);
    slot.onDeath = undefined;
    const elapsed = performance.now() - started;

    let verdict: Verdict;
    let replace: string | null = null;
    if ("killed" in r) {
      const crashed = r.killed.startsWith("crash:");
      replace = crashed ? r.killed.slice(6) : "it did not respond to the interrupt";
      verdict = notRun(program, options, "");
      verdict.durationMs = elapsed;
      if (crashed && !stopReason) {
        verdict.kind = "sandbox_crash";
        verdict.error = { type: "SandboxCrash", message: `the Python worker died: ${replace}`, line: null, traceback: "" };
      } else {
        verdict.kind = "timeout";
        verdict.stopped = stopReason === "stopped" || undefined;
      }
      verdict.notes = [`the worker was terminated and replaced (${replace})`];
    } else {
      verdict = toVerdict(program, r, timeoutMs);
      if (stopReason) {
        // Interrupted: whatever the program did with the KeyboardInterrupt, it ran out of time.
        verdict.kind = "timeout";
        verdict.stopped = stopReason === "stopped" || undefined;
        verdict.resource = undefined;
      }
      if (r.fatal) replace = r.fatal;
      else if (r.recycle) replace = r.recycle;
    }
    slot.busy = false;
    if (replace !== null) this.#discard(slot);
    job.resolve(verdict);
    this.#pump();
  }

  #failAll(e: Error): void {
    for (const w of this.#waiters.splice(0)) w.reject(e);
    const jobs = this.#queue.splice(0);
    for (const j of jobs) j.reject(e);
  }
}

function toVerdict(program: TestProgram, r: RawResult, timeoutMs: number): Verdict {
  const tests = r.tests.length ? r.tests : emptyTests(program);
  const v: Verdict = {
    kind: r.kind,
    shownPassed: r.shownPassed,
    hiddenPassed: r.hiddenPassed,
    tests,
    stdout: r.stdout,
    stderr: r.stderr,
    truncated: r.truncated,
    durationMs: r.durationMs,
    timeoutMs,
  };
  if (r.failedTest !== undefined && r.failedTest !== null) v.failedTest = r.failedTest;
  if (r.error) v.error = r.error;
  if (r.resource) v.resource = r.resource;
  if (r.notes?.length) v.notes = r.notes;
  if (r.fatal) v.notes = [...(v.notes ?? []), "the Python worker failed fatally and was replaced"];
  return v;
}

function emptyTests(program: TestProgram): TestResult[] {
  return program.tests.map((t, index) => ({ index, source: t.source, hidden: t.hidden, status: "not_run" }));
}

function notRun(program: TestProgram, options: RunOptions, note: string): Verdict {
  return {
    kind: "timeout",
    stopped: true,
    shownPassed: false,
    hiddenPassed: false,
    tests: emptyTests(program),
    stdout: "",
    stderr: "",
    truncated: false,
    durationMs: 0,
    timeoutMs: options.timeoutMs,
    ...(note ? { notes: [note] } : {}),
  };
}
