import type { Split } from "./types.ts";

/** MBPP's official splits by task id (google-research mbpp/README.md): 1–10 few-shot prompting,
 *  11–510 test, 511–600 validation, 601–974 train. Sanitized MBPP keeps its tasks' ids. */
export function mbppSplit(taskId: number): Split {
  if (taskId >= 1 && taskId <= 10) return "prompt";
  if (taskId <= 510) return "test";
  if (taskId <= 600) return "validation";
  return "train";
}

/** The order the split picker offers; "all" lists every task of the dataset. */
export const MBPP_SPLITS: Split[] = ["test", "train", "validation", "prompt", "all"];

const NOT_ENTRY_POINTS = new Set([
  "set", "sorted", "list", "tuple", "dict", "str", "int", "float", "abs", "round", "len", "math",
  "isclose", "frozenset", "type", "isinstance", "all", "any", "sum", "min", "max", "not", "assert",
  "range", "map", "filter", "zip", "bool", "repr", "print", "reversed", "enumerate",
]);

/** The function an MBPP assert calls: the first call that is not a builtin or a `math.` helper. */
export function guessEntryPoint(asserts: readonly string[]): string | undefined {
  for (const test of asserts) {
    for (const m of test.matchAll(/(?<![.\w])([A-Za-z_]\w*)\s*\(/g)) {
      const name = m[1]!;
      if (!NOT_ENTRY_POINTS.has(name)) return name;
    }
  }
  return undefined;
}
