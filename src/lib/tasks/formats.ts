import { z } from "zod";
import { InvalidTaskFileError, parseJsonLines, type LineProblem } from "./errors.ts";
import { guessEntryPoint, mbppSplit } from "./splits.ts";
import type { DatasetId, Split, Task } from "./types.ts";

// One schema per file shape. Built-in files go through the same validation as users' files,
// so a corrupted copy fails the same way an imported one would.

const asserts = z.array(z.string()).min(1, "needs at least one test");

/** google-research mbpp.jsonl, one object per line. */
const MbppRecord = z.object({
  task_id: z.number().int().positive(),
  text: z.string().min(1),
  code: z.string(),
  test_list: asserts,
  test_setup_code: z.string().default(""),
  challenge_test_list: z.array(z.string()).default([]),
});

/** sanitized-mbpp.json, one array of objects. */
const SanitizedRecord = z.object({
  task_id: z.number().int().positive(),
  prompt: z.string().min(1),
  code: z.string(),
  test_imports: z.array(z.string()).default([]),
  test_list: asserts,
});

/** openai/human-eval HumanEval.jsonl. */
const HumanEvalRecord = z.object({
  task_id: z.string().min(1),
  prompt: z.string().min(1),
  canonical_solution: z.string().default(""),
  test: z.string().min(1),
  entry_point: z.string().regex(/^[A-Za-z_]\w*$/, "must be a Python identifier"),
});

/** A user's MBPP-shaped task: MBPP or sanitized field names, reference optional. */
const CustomMbppRecord = z
  .object({
    task_id: z.union([z.number().int(), z.string().min(1)]),
    text: z.string().min(1).optional(),
    prompt: z.string().min(1).optional(),
    code: z.string().default(""),
    test_list: asserts,
    test_setup_code: z.string().default(""),
    test_imports: z.array(z.string()).default([]),
    challenge_test_list: z.array(z.string()).default([]),
  })
  .refine((r) => r.text !== undefined || r.prompt !== undefined, {
    message: "needs a task description in `text` (or `prompt`)",
    path: ["text"],
  });

function problemsOf(error: z.ZodError, line: number): LineProblem[] {
  return error.issues.map((issue) => ({
    line,
    field: issue.path.length ? issue.path.join(".") : undefined,
    message: issue.message,
  }));
}

function validateAll<S extends z.ZodType>(
  fileName: string,
  records: { line: number; value: unknown }[],
  schema: S,
  initial: LineProblem[] = [],
): { line: number; value: z.output<S> }[] {
  const problems = [...initial];
  const out: { line: number; value: z.output<S> }[] = [];
  for (const r of records) {
    const parsed = schema.safeParse(r.value);
    if (parsed.success) out.push({ line: r.line, value: parsed.data });
    else problems.push(...problemsOf(parsed.error, r.line));
  }
  if (!out.length && !problems.length) problems.push({ line: 1, message: "the file holds no tasks" });
  const seen = new Map<string, number>();
  for (const r of out) {
    const id = String((r.value as { task_id: unknown }).task_id);
    const prev = seen.get(id);
    if (prev !== undefined) problems.push({ line: r.line, field: "task_id", message: `duplicate task_id ${id} (first on line ${prev})` });
    else seen.set(id, r.line);
  }
  if (problems.length) throw new InvalidTaskFileError(fileName, problems.sort((a, b) => a.line - b.line));
  return out;
}

export function parseMbppJsonl(text: string, fileName = "mbpp.jsonl"): Task[] {
  const { records, problems } = parseJsonLines(text);
  return validateAll(fileName, records, MbppRecord, problems).map(({ value: r }) => ({
    id: String(r.task_id),
    dataset: "mbpp",
    split: mbppSplit(r.task_id),
    format: "assert",
    text: r.text,
    tests: r.test_list,
    hiddenTests: r.challenge_test_list,
    setup: r.test_setup_code,
    reference: r.code,
    entryPoint: guessEntryPoint(r.test_list),
  }));
}

export function parseSanitizedJson(text: string, fileName = "sanitized-mbpp.json"): Task[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new InvalidTaskFileError(fileName, [{ line: 1, message: `not valid JSON (${(e as Error).message})` }]);
  }
  if (!Array.isArray(value)) throw new InvalidTaskFileError(fileName, [{ line: 1, message: "expected a JSON array of tasks" }]);
  const records = value.map((v, i) => ({ line: i + 1, value: v as unknown }));
  return validateAll(fileName, records, SanitizedRecord).map(({ value: r }) => ({
    id: String(r.task_id),
    dataset: "mbpp-sanitized",
    split: mbppSplit(r.task_id),
    format: "assert",
    text: r.prompt,
    tests: r.test_list,
    hiddenTests: [],
    setup: r.test_imports.join("\n"),
    reference: r.code,
    entryPoint: guessEntryPoint(r.test_list),
  }));
}

function humanEvalTask(r: z.output<typeof HumanEvalRecord>, dataset: DatasetId, split: Split): Task {
  return {
    id: r.task_id,
    dataset,
    split,
    format: "humaneval",
    text: r.prompt,
    tests: [],
    hiddenTests: [`check(${r.entry_point})`],
    setup: r.test,
    reference: r.canonical_solution,
    entryPoint: r.entry_point,
    prompt: r.prompt,
  };
}

export function parseHumanEvalJsonl(text: string, fileName = "HumanEval.jsonl"): Task[] {
  const { records, problems } = parseJsonLines(text);
  return validateAll(fileName, records, HumanEvalRecord, problems).map(({ value }) => humanEvalTask(value, "humaneval", "test"));
}

export type CustomShape = "mbpp" | "humaneval";

/**
 * A user's JSONL file in MBPP shape (`task_id`, `text`, `code`, `test_list`, optional
 * `test_setup_code` / `test_imports` / `challenge_test_list`) or HumanEval shape (`task_id`,
 * `prompt`, `canonical_solution`, `test`, `entry_point`). The shape is decided by the first line
 * that parses; every line must then match it. Any problem rejects the whole file.
 */
export function parseCustomJsonl(text: string, fileName: string, dataset: DatasetId): { shape: CustomShape; tasks: Task[] } {
  const { records, problems } = parseJsonLines(text);
  const first = records[0]?.value;
  const looksHumanEval = typeof first === "object" && first !== null && "entry_point" in first && "test" in first;
  if (looksHumanEval) {
    const rows = validateAll(fileName, records, HumanEvalRecord, problems);
    return { shape: "humaneval", tasks: rows.map(({ value }) => humanEvalTask(value, dataset, "all")) };
  }
  const rows = validateAll(fileName, records, CustomMbppRecord, problems);
  return {
    shape: "mbpp",
    tasks: rows.map(({ value: r }) => ({
      id: String(r.task_id),
      dataset,
      split: "all",
      format: "assert",
      text: (r.text ?? r.prompt)!,
      tests: r.test_list,
      hiddenTests: r.challenge_test_list,
      setup: [...r.test_imports, r.test_setup_code].filter(Boolean).join("\n"),
      reference: r.code,
      entryPoint: guessEntryPoint(r.test_list),
    })),
  };
}
