/** Built-in datasets; a custom set is `custom:<id>`. */
export type BuiltinDatasetId = "mbpp" | "mbpp-sanitized" | "humaneval" | "mathqa-python";
export type DatasetId = BuiltinDatasetId | `custom:${string}`;

/** MBPP's official splits (google-research mbpp/README.md); other sets use "test" or "all". */
export type Split = "prompt" | "test" | "validation" | "train" | "all";

/**
 * How a task's tests are run.
 * - `assert`: MBPP-style — setup, the candidate code, then each assert statement on its own.
 * - `humaneval`: the candidate is appended to `prompt`; `checkCode` defines `check(candidate)`,
 *   called with `entryPoint`.
 * - `mathqa`: the candidate must leave a number in `answer`, compared with `answer` within
 *   a relative tolerance.
 */
export type TaskFormat = "assert" | "humaneval" | "mathqa";

export interface Task {
  /** Unique within its dataset: "11" for MBPP task 11, "HumanEval/0", "0" for MathQA-Python. */
  id: string;
  dataset: DatasetId;
  split: Split;
  format: TaskFormat;
  /** The natural-language description (MBPP `text`, sanitized `prompt`, HumanEval docstring prompt). */
  text: string;
  /** Tests that may be shown in a prompt (MBPP `test_list`). */
  tests: string[];
  /** Tests never shown in a prompt (MBPP `challenge_test_list`; HumanEval's `check(...)` call). */
  hiddenTests: string[];
  /** Code run after the candidate and before the tests (MBPP `test_setup_code`,
   *  sanitized `test_imports`, HumanEval's `test` defining `check`). */
  setup: string;
  /** The reference solution: a complete program for `assert`/`mathqa`, the body for `humaneval`. */
  reference: string;
  /** Function the tests call, when known (HumanEval `entry_point`; guessed from MBPP asserts). */
  entryPoint?: string;
  /** HumanEval: the code prefix (signature + docstring) the completion continues. */
  prompt?: string;
  /** MathQA-Python: the gold value of `answer`. */
  answer?: number;
  /** Dataset-specific extras shown in the explorer (MathQA `dsl_code`, `reasoning`). */
  extra?: Record<string, string>;
}

export interface DatasetInfo {
  id: DatasetId;
  name: string;
  /** sha256 of the source file the tasks were read from (recorded in every run's spec). */
  sha256: string;
  splits: Split[];
  license?: string;
  source?: string;
}

export interface Dataset {
  info: DatasetInfo;
  tasks: Task[];
}
