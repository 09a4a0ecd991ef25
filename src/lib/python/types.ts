import type { TestProgram } from "../eval/program.ts";

/**
 * The verdict taxonomy (ARCHITECTURE.md): every program run in the sandbox ends in exactly one.
 * - `passed`: every test (shown and hidden) passed.
 * - `failed`: the first test that did not pass raised `AssertionError`.
 * - `error`: an exception other than `AssertionError` (in the program, its set-up or a test).
 * - `syntax_error`: the candidate code does not compile.
 * - `timeout`: the time limit was reached (or the user pressed Stop: `stopped` is then true).
 * - `resource`: memory, recursion or output limit (`resource` says which).
 * - `sandbox_crash`: the Python worker died or failed fatally; the pool replaced it.
 */
export type VerdictKind = "passed" | "failed" | "error" | "syntax_error" | "timeout" | "resource" | "sandbox_crash";
export type ResourceKind = "memory" | "recursion" | "output";

export interface PyErrorInfo {
  /** Exception type name, e.g. "IndexError". */
  type: string;
  message: string;
  /** Line in the candidate code where it happened (the innermost frame there), or null. */
  line: number | null;
  /** Python's traceback, with the sandbox's own frames removed. */
  traceback: string;
}

export type TestStatus = "passed" | "failed" | "error" | "not_run";

export interface TestResult {
  /** Position in the program's test list (shown tests first, then hidden ones). */
  index: number;
  source: string;
  hidden: boolean;
  status: TestStatus;
  error?: PyErrorInfo;
}

export interface Verdict {
  kind: VerdictKind;
  /** Every shown test passed (vacuously true when there are none). */
  shownPassed: boolean;
  /** Every hidden test passed (vacuously true when there are none). */
  hiddenPassed: boolean;
  /** Index of the first test that did not pass, when a test decided the verdict. */
  failedTest?: number;
  /** The exception that decided the verdict (program, set-up, or the failing test's). */
  error?: PyErrorInfo;
  resource?: ResourceKind;
  tests: TestResult[];
  stdout: string;
  stderr: string;
  /** Output beyond the cap was dropped. */
  truncated: boolean;
  /** Time the program ran in the worker (not time spent queued). */
  durationMs: number;
  /** The limit this run had. */
  timeoutMs: number;
  /** The user pressed Stop (kind is then `timeout`). */
  stopped?: boolean;
  /** Set when the sandbox had to undo something the program changed, or replace its worker. */
  notes?: string[];
}

export interface RunOptions {
  timeoutMs: number;
  /** Aborting stops the program (Stop button): the verdict is `timeout` with `stopped: true`. */
  signal?: AbortSignal;
}

/** `run(program, { timeoutMs }) → Verdict`, served by browser workers and Node worker threads alike. */
export interface Sandbox {
  run(program: TestProgram, options: RunOptions): Promise<Verdict>;
}
