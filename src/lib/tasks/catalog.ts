import { parseHumanEvalJsonl, parseMbppJsonl, parseSanitizedJson } from "./formats.ts";
import { parseMathQAPythonJsonl } from "./mathqa.ts";
import { MBPP_SPLITS } from "./splits.ts";
import type { BuiltinDatasetId, Dataset, Split, Task } from "./types.ts";

export interface BuiltinDataset {
  id: BuiltinDatasetId;
  name: string;
  /** File name under public/datasets/ (and in the manifest). */
  file: string;
  splits: Split[];
  defaultSplit: Split;
  license: string;
  source: string;
  parse(text: string): Task[];
}

export const BUILTIN_DATASETS: readonly BuiltinDataset[] = [
  {
    id: "mbpp",
    name: "MBPP (974 tasks)",
    file: "mbpp.jsonl",
    splits: MBPP_SPLITS,
    defaultSplit: "test",
    license: "CC-BY-4.0",
    source: "google-research/google-research mbpp/mbpp.jsonl",
    parse: (text) => parseMbppJsonl(text),
  },
  {
    id: "mbpp-sanitized",
    name: "MBPP sanitized (427 tasks)",
    file: "sanitized-mbpp.json",
    splits: MBPP_SPLITS,
    defaultSplit: "test",
    license: "CC-BY-4.0",
    source: "google-research/google-research mbpp/sanitized-mbpp.json",
    parse: (text) => parseSanitizedJson(text),
  },
  {
    id: "humaneval",
    name: "HumanEval (164 problems)",
    file: "HumanEval.jsonl",
    splits: ["test"],
    defaultSplit: "test",
    license: "MIT",
    source: "openai/human-eval data/HumanEval.jsonl.gz",
    parse: (text) => parseHumanEvalJsonl(text),
  },
  {
    id: "mathqa-python",
    // Converted by set-up from MathQA's option-normalised test copy: 1,894 problems, 11 more than
    // the paper's 1,883 (README, "Where the data comes from").
    name: "MathQA-Python (test, 1,894 problems)",
    file: "mathqa-python.jsonl",
    splits: ["test"],
    defaultSplit: "test",
    license: "Apache-2.0",
    source: "MathQA (math-qa.github.io) test split → MathQA-Python by the rules of Austin et al. 2021's notebook (google/trax)",
    parse: (text) => parseMathQAPythonJsonl(text),
  },
];

export function builtinDataset(id: string): BuiltinDataset | undefined {
  return BUILTIN_DATASETS.find((d) => d.id === id);
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

export class DatasetFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DatasetFileError";
  }
}

/**
 * Parses a built-in dataset's bytes and records their sha256 (every run's spec names it).
 * When the manifest's hash is given, a file that differs is refused: numbers computed on a
 * silently different file are exactly what this tool must not show.
 */
export async function loadBuiltinDataset(def: BuiltinDataset, bytes: Uint8Array, expectedSha256?: string): Promise<Dataset> {
  const sha256 = await sha256Hex(bytes);
  if (expectedSha256 && sha256 !== expectedSha256) {
    throw new DatasetFileError(
      `datasets/${def.file} does not match the manifest (sha256 ${sha256.slice(0, 12)}…, expected ${expectedSha256.slice(0, 12)}…). Re-run the set-up step.`,
    );
  }
  const tasks = def.parse(new TextDecoder().decode(bytes));
  return { info: { id: def.id, name: def.name, sha256, splits: def.splits, license: def.license, source: def.source }, tasks };
}

export function tasksInSplit(tasks: readonly Task[], split: Split | "all"): Task[] {
  return split === "all" ? [...tasks] : tasks.filter((t) => t.split === split);
}
