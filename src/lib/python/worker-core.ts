import type { PyodideAPI } from "pyodide";
import type { PyProxy } from "pyodide/ffi";
import type { TestProgram } from "../eval/program.ts";
import { HARNESS_PY } from "./harness.ts";
import type { PyErrorInfo, ResourceKind, TestResult, VerdictKind } from "./types.ts";

/**
 * What runs inside a sandbox worker (browser Web Worker or Node worker thread) around one Pyodide
 * interpreter. Only this folder and workers/python.worker.ts know Pyodide's API.
 */

export interface SandboxLimits {
  /**
   * Python's recursion limit, and the ceiling a program's own `sys.setrecursionlimit` is held
   * to after each run. Recursion that passes through C code (sorted with a key, lru_cache) uses
   * the JS stack and kills the interpreter well before 1000 frames in a browser worker
   * (RUNTIME_FACTS §15), so the limit must stay where that is still a clean RecursionError.
   */
  recursionLimit: number;
  /** The most a program may raise the recursion limit to with `sys.setrecursionlimit`. */
  recursionCeiling: number;
  /** Characters of stdout+stderr kept for the verdict. */
  outputKeep: number;
  /** Characters of output after which the program is stopped (resource: output). */
  outputFlood: number;
  /** A heap that has grown past this is not reused: the worker is replaced after the run. */
  maxHeapBytes: number;
}

export const DEFAULT_LIMITS: SandboxLimits = {
  recursionLimit: 1000,
  recursionCeiling: 3000,
  outputKeep: 64 * 1024,
  outputFlood: 4 * 1024 * 1024,
  maxHeapBytes: 1024 * 1024 * 1024,
};

/** Modules that bridge to the worker's JavaScript side; generated code may not import them. */
export const BLOCKED_MODULES = ["js", "pyodide_js", "pyodide", "_pyodide", "_pyodide_core", "pyodide_http", "micropip"];

/** A run as the worker reports it; the pool turns it into a `Verdict`. */
export interface RawResult {
  kind: VerdictKind;
  tests: TestResult[];
  shownPassed: boolean;
  hiddenPassed: boolean;
  failedTest?: number;
  error?: PyErrorInfo;
  resource?: ResourceKind;
  stdout: string;
  stderr: string;
  truncated: boolean;
  notes?: string[];
  durationMs: number;
  /** The interpreter failed fatally (e.g. a JS stack overflow) and cannot be used again. */
  fatal?: string;
  /** The worker should be replaced after this run (heap grew past the limit, module state restored). */
  recycle?: string;
}

export interface SandboxInit {
  limits: SandboxLimits;
  /** A one-byte SharedArrayBuffer view; writing 2 raises KeyboardInterrupt in the program. */
  interrupt?: Uint8Array;
}

/** The API a sandbox worker exposes (through comlink) to the pool. */
export interface SandboxWorkerApi {
  /**
   * Loads Pyodide (from `snapshot` when given), installs the harness, locks the worker down.
   * With `makeSnapshot`, returns a memory snapshot that later workers start from.
   */
  init(opts: SandboxInit & { snapshot?: Uint8Array; makeSnapshot?: boolean }): Promise<{ pyodideVersion: string; snapshot?: Uint8Array; fromSnapshot: boolean; snapshotError?: string }>;
  run(program: TestProgram): Promise<RawResult>;
}

type PyProxyDict = { get(key: string): unknown; destroy(): void };

export type LoadPyodide = (opts: { _makeSnapshot?: boolean; _loadSnapshot?: Uint8Array }) => Promise<PyodideAPI>;

/**
 * The worker side of the sandbox, given a way to load Pyodide and a lockdown step that removes
 * the host's capabilities (network, storage, processes) once Pyodide no longer needs them.
 */
export function createSandboxWorker(loadPyodide: LoadPyodide, lockdown: () => void, now: () => number): SandboxWorkerApi {
  let py: PyodideAPI | null = null;
  let runFn: ((payload: string) => string) | null = null;
  let interrupt: Uint8Array | undefined;
  let limits = DEFAULT_LIMITS;
  let dead: string | null = null;

  function install(p: PyodideAPI): void {
    p.setStdin({ error: true });
    // Output is captured inside Python; anything written at the C level is dropped.
    p.setStdout({ write: (buf: Uint8Array) => buf.length });
    p.setStderr({ write: (buf: Uint8Array) => buf.length });
    if (interrupt) p.setInterruptBuffer(interrupt);
  }

  return {
    async init(opts) {
      limits = opts.limits;
      interrupt = opts.interrupt;
      let fromSnapshot = false;
      let snapshotError: string | undefined;
      let p: PyodideAPI;
      if (opts.snapshot) {
        try {
          p = await loadPyodide({ _loadSnapshot: opts.snapshot });
          fromSnapshot = true;
        } catch (e) {
          // A snapshot from a different build or a private API that changed: load plainly.
          snapshotError = `restoring the snapshot failed: ${String((e as Error)?.message ?? e)}`;
          p = await loadPyodide({});
        }
      } else {
        p = await loadPyodide(opts.makeSnapshot ? { _makeSnapshot: true } : {});
      }
      if (!fromSnapshot) {
        // The harness lives in a namespace of its own (not __main__, which programs can import),
        // found again after a snapshot restore through a name in builtins that is removed (and
        // the baseline retaken) once the worker holds _sp_run.
        p.runPython(`import builtins\nbuiltins.__dict__.setdefault("__sp_ns__", {})`);
        const ns = p.runPython(`__import__("builtins").__sp_ns__`) as PyProxyDict;
        p.runPython(HARNESS_PY, { globals: ns as unknown as PyProxy });
        (ns.get("_sp_install") as (cfg: string) => void)(JSON.stringify({ ...limits, blockedModules: BLOCKED_MODULES }));
        ns.destroy();
      }
      let snapshot: Uint8Array | undefined;
      if (opts.makeSnapshot && !fromSnapshot) {
        try {
          snapshot = p.makeMemorySnapshot();
        } catch (e) {
          snapshotError = `making the snapshot failed: ${String((e as Error)?.message ?? e)}`;
        }
      }
      install(p);
      const ns = p.runPython(`__import__("builtins").__sp_ns__`) as PyProxyDict;
      runFn = ns.get("_sp_run") as (payload: string) => string;
      (ns.get("_sp_hide") as () => void)();
      ns.destroy();
      py = p;
      lockdown();
      return { pyodideVersion: p.version, snapshot, fromSnapshot, snapshotError };
    },

    run(program) {
      if (!py || !runFn) throw new Error("the sandbox worker was used before init()");
      if (dead) return Promise.resolve(crashResult(dead, 0));
      if (interrupt) interrupt[0] = 0;
      const t0 = now();
      let json: string;
      try {
        json = runFn(JSON.stringify(program));
      } catch (e) {
        const message = String((e as Error)?.message ?? e);
        dead = message;
        const r = crashResult(message, now() - t0);
        if (/Maximum call stack size exceeded|too much recursion/i.test(message)) {
          r.kind = "resource";
          r.resource = "recursion";
          r.error = { type: "RecursionError", message: "the program recursed deeper than the browser's stack allows (the Python worker was replaced)", line: null, traceback: "" };
        }
        return Promise.resolve(r);
      }
      const durationMs = now() - t0;
      const r = JSON.parse(json) as RawResult;
      r.durationMs = durationMs;
      const heap = heapBytes(py);
      if (heap > limits.maxHeapBytes) r.recycle = `its heap grew to ${Math.round(heap / 2 ** 20)} MiB`;
      if (interrupt) interrupt[0] = 0;
      return Promise.resolve(r);
    },
  };
}

function heapBytes(py: PyodideAPI): number {
  const mod = (py as unknown as { _module?: { HEAP8?: Int8Array } })._module;
  return mod?.HEAP8?.buffer.byteLength ?? 0;
}

function crashResult(message: string, durationMs: number): RawResult {
  return {
    kind: "sandbox_crash",
    tests: [],
    shownPassed: false,
    hiddenPassed: false,
    error: { type: "SandboxCrash", message: `the Python interpreter failed fatally: ${message}`, line: null, traceback: "" },
    stdout: "",
    stderr: "",
    truncated: false,
    durationMs,
    fatal: message,
  };
}
