import { z } from "zod";
import { sha256Hex, tasksInSplit } from "../tasks/catalog.ts";
import { parseJsonLines, type LineProblem } from "../tasks/errors.ts";
import type { Dataset, DatasetId, Split, Task } from "../tasks/types.ts";
import { ReplayFileError, ReplayRequestError, ReplaySampleMissingError } from "./errors.ts";
import { EngineQueue } from "./queue.ts";
import { abortError, type Completion, type Engine, type EngineDescription, type GenerateRequest, type ProgressListener } from "./types.ts";

/**
 * Replay: completions that were generated elsewhere (or a dataset's reference solutions), served
 * through the Engine interface so the rest of the pipeline (extract → execute → score) cannot tell
 * them from a live model. A request names its sample with `replayKey: { taskId, sampleIndex }`.
 *
 * Accepted files:
 * - **human-eval** JSONL: `{"task_id": …, "completion": …}` per line (openai/human-eval README,
 *   "samples.jsonl"); a task's i-th line is its sample i. `completion` continues the task's prompt.
 * - **EvalPlus** JSONL: `solution` (a whole program) or `completion`; when a line has both, the
 *   solution wins, as in EvalPlus's own evaluate.py (`sample["solution"] if "solution" in sample
 *   else problems[task_id]["prompt"] + sample["completion"]`).
 * - **bigcode-evaluation-harness** `generations.json`: a JSON list with one list of generations per
 *   task, in the task order of the dataset the user names (bigcode's `mbpp` task = the 500 MBPP test
 *   tasks 11–510; `humaneval` = the 164 problems), optionally starting at `--limit_start`.
 */

export type ReplayFormat = "human-eval" | "evalplus" | "bigcode" | "reference";

export const REPLAY_FORMAT_LABELS: Record<ReplayFormat, string> = {
  "human-eval": "human-eval JSONL",
  evalplus: "EvalPlus JSONL",
  bigcode: "bigcode-evaluation-harness generations",
  reference: "reference solutions",
};

export interface ReplayReport {
  /** Samples that can be served (those of unknown tasks are not counted). */
  samples: number;
  /** Dataset tasks with at least one sample. */
  tasks: number;
  /** Fewest and most samples of a covered task: a run can use n ≤ minPerTask on every covered task. */
  minPerTask: number;
  maxPerTask: number;
  /** Task ids of the file that the dataset does not have, with the lines that name them. */
  unknownTaskIds: { taskId: string; lines: number[] }[];
  /** Per split of the dataset: how many of its tasks have samples. */
  coverage: { split: Split; tasks: number; covered: number }[];
  /** Things done to the samples that a person should know about. */
  notes: string[];
}

export interface ReplaySource {
  format: ReplayFormat;
  /** The file name, or the dataset's name for reference solutions. */
  name: string;
  dataset: { id: DatasetId; name: string; sha256: string };
  /** sha256 of the imported file (UTF-8), for provenance. */
  sha256?: string;
  /** bigcode files: which split's order the lists follow, and the position of the first. */
  order?: { split: Split | "all"; start: number };
  /** Dataset task id → its samples, in file order. */
  samples: ReadonlyMap<string, readonly string[]>;
  report: ReplayReport;
}

// --- Task ids ------------------------------------------------------------------------------------

/**
 * Maps a file's task id to the dataset's. Files name tasks their own way: EvalPlus says "Mbpp/11"
 * where our MBPP says "11", some MBPP files use numbers, a HumanEval file may say "0" for
 * "HumanEval/0". Exact ids win; otherwise a prefix before "/" must name the same dataset (the
 * dataset's own id prefix, or "mbpp" for the MBPP sets) and the rest is matched.
 */
export function taskIdResolver(tasks: readonly Task[], datasetId: DatasetId): (raw: string) => string | undefined {
  const ids = new Set(tasks.map((t) => t.id));
  const split = (id: string): [prefix: string, rest: string] => {
    const i = id.lastIndexOf("/");
    return i < 0 ? ["", id] : [id.slice(0, i).toLowerCase(), id.slice(i + 1)];
  };
  const byRest = new Map<string, string | null>();
  const prefixes = new Set<string>();
  for (const id of ids) {
    const [prefix, rest] = split(id);
    if (prefix) prefixes.add(prefix);
    byRest.set(rest, byRest.has(rest) ? null : id);
  }
  // Unprefixed ids (MBPP's numbers): accept the dataset's name as a prefix, "mbpp-sanitized" → "mbpp".
  if (!prefixes.size && !datasetId.startsWith("custom:")) prefixes.add(datasetId.split("-")[0]!.toLowerCase());
  return (raw) => {
    const id = raw.trim();
    if (ids.has(id)) return id;
    const [prefix, rest] = split(id);
    if (prefix && !prefixes.has(prefix)) return undefined;
    return byRest.get(rest) ?? undefined;
  };
}

// --- Sample text ---------------------------------------------------------------------------------

/**
 * HumanEval-format tasks are run as prompt + completion (eval/program.ts), so a whole program
 * (EvalPlus `solution`, bigcode generations, which are `prompt.strip() + generation`) loses the
 * prompt it starts with and becomes a continuation like a model's. Anything else is kept as is.
 */
function asContinuation(task: Task, text: string): { text: string; stripped: boolean } {
  if (task.format !== "humaneval" || !task.prompt) return { text, stripped: false };
  for (const prefix of [task.prompt, task.prompt.trim()]) {
    if (prefix && text.startsWith(prefix)) return { text: text.slice(prefix.length), stripped: true };
  }
  return { text, stripped: false };
}

// --- Reports --------------------------------------------------------------------------------------

function buildReport(dataset: Dataset, samples: ReadonlyMap<string, readonly string[]>, unknown: Map<string, number[]>, notes: string[]): ReplayReport {
  const counts = [...samples.values()].map((s) => s.length).filter((n) => n > 0);
  const splits = new Map<Split, { tasks: number; covered: number }>();
  for (const t of dataset.tasks) {
    const c = splits.get(t.split) ?? { tasks: 0, covered: 0 };
    c.tasks++;
    if ((samples.get(t.id)?.length ?? 0) > 0) c.covered++;
    splits.set(t.split, c);
  }
  return {
    samples: counts.reduce((a, b) => a + b, 0),
    tasks: counts.length,
    minPerTask: counts.length ? Math.min(...counts) : 0,
    maxPerTask: counts.length ? Math.max(...counts) : 0,
    unknownTaskIds: [...unknown].map(([taskId, lines]) => ({ taskId, lines })),
    coverage: [...splits].map(([split, c]) => ({ split, ...c })),
    notes,
  };
}

/** One line for the UI, e.g. "1,000 samples for 500 tasks of MBPP (2 per task): n can be up to 2." */
export function summariseReport(source: ReplaySource): string {
  const r = source.report;
  const per = r.minPerTask === r.maxPerTask ? `${r.minPerTask} per task` : `${r.minPerTask}–${r.maxPerTask} per task`;
  const covered = r.coverage.filter((c) => c.covered > 0).map((c) => `${c.covered}/${c.tasks} ${c.split}`).join(", ");
  const unknown = r.unknownTaskIds.length ? ` ${r.unknownTaskIds.length} task id(s) of the file are not in ${source.dataset.name} and were skipped.` : "";
  return `${r.samples.toLocaleString("en")} sample(s) for ${r.tasks} task(s) of ${source.dataset.name} (${per}; covers ${covered}): runs over these tasks can use n up to ${r.minPerTask}.${unknown}`;
}

// --- JSONL (human-eval, EvalPlus) -------------------------------------------------------------------

const SampleLine = z
  .object({
    task_id: z.union([z.string().min(1), z.number().int().nonnegative()], { error: "must be a task id (a string such as \"HumanEval/0\" or a whole number)" }),
    completion: z.string({ error: "must be a string" }).optional(),
    solution: z.string({ error: "must be a string" }).optional(),
  })
  .refine((r) => r.completion !== undefined || r.solution !== undefined, {
    message: 'needs the generated code in "completion" (human-eval) or "solution" (EvalPlus)',
    path: ["completion"],
  });

function zodProblems(error: z.ZodError, line: number): LineProblem[] {
  return error.issues.map((issue) => ({ line, ...(issue.path.length ? { field: issue.path.join(".") } : {}), message: issue.message }));
}

function lineOfPosition(text: string, message: string): number {
  const pos = /position (\d+)/.exec(message);
  if (pos) return text.slice(0, Number(pos[1])).split("\n").length;
  const line = /line (\d+)/.exec(message);
  return line ? Number(line[1]) : 1;
}

/** human-eval or EvalPlus samples, one JSON object per line; any malformed line rejects the file. */
export async function parseSamplesJsonl(text: string, fileName: string, dataset: Dataset): Promise<ReplaySource> {
  const { records, problems } = parseJsonLines(stripBom(text));
  const rows: { line: number; taskId: string; completion?: string; solution?: string }[] = [];
  for (const r of records) {
    if (typeof r.value !== "object" || r.value === null || Array.isArray(r.value)) {
      problems.push({ line: r.line, message: "expected one JSON object per line ({\"task_id\": …, \"completion\": …})" });
      continue;
    }
    const parsed = SampleLine.safeParse(r.value);
    if (!parsed.success) {
      problems.push(...zodProblems(parsed.error, r.line));
      continue;
    }
    const { task_id, completion, solution } = parsed.data;
    rows.push({ line: r.line, taskId: String(task_id), ...(completion !== undefined ? { completion } : {}), ...(solution !== undefined ? { solution } : {}) });
  }
  if (!rows.length && !problems.length) problems.push({ line: 1, message: "the file holds no samples" });
  if (problems.length) throw new ReplayFileError(fileName, problems.sort((a, b) => a.line - b.line));

  const resolve = taskIdResolver(dataset.tasks, dataset.info.id);
  const byId = new Map(dataset.tasks.map((t) => [t.id, t]));
  const samples = new Map<string, string[]>();
  const unknown = new Map<string, number[]>();
  let stripped = 0;
  let renamed = 0;
  for (const row of rows) {
    const id = resolve(row.taskId);
    const task = id === undefined ? undefined : byId.get(id);
    if (!task) {
      unknown.set(row.taskId, [...(unknown.get(row.taskId) ?? []), row.line]);
      continue;
    }
    if (id !== row.taskId) renamed++;
    let sample: string;
    if (row.solution !== undefined) {
      const c = asContinuation(task, row.solution);
      if (c.stripped) stripped++;
      sample = c.text;
    } else {
      sample = row.completion!;
    }
    samples.set(task.id, [...(samples.get(task.id) ?? []), sample]);
  }
  if (samples.size === 0) {
    const first = [...unknown].slice(0, 20);
    throw new ReplayFileError(
      fileName,
      first.map(([taskId, lines]) => ({
        line: lines[0]!,
        field: "task_id",
        message: `task ${JSON.stringify(taskId)} is not in ${dataset.info.name}: none of the file's tasks are, so pick the dataset these samples were generated for`,
      })),
    );
  }
  const format: ReplayFormat = rows.some((r) => r.solution !== undefined) ? "evalplus" : "human-eval";
  const notes: string[] = [];
  if (renamed) notes.push(`${renamed} sample(s) named their task differently (e.g. "Mbpp/11" for "11") and were matched by number.`);
  if (stripped) notes.push(`${stripped} solution(s) began with the task's prompt, which was removed: the prompt is put back when the program runs.`);
  return {
    format,
    name: fileName,
    dataset: { id: dataset.info.id, name: dataset.info.name, sha256: dataset.info.sha256 },
    sha256: await sha256Hex(new TextEncoder().encode(text)),
    samples,
    report: buildReport(dataset, samples, unknown, notes),
  };
}

// --- bigcode-evaluation-harness ----------------------------------------------------------------------

export interface BigcodeOrder {
  /** The split whose task order the lists follow ("test" for bigcode's mbpp task). */
  split: Split | "all";
  /** Position of the first list's task within the split (bigcode's --limit_start). */
  start?: number;
}

/** bigcode's generations.json: `[[gen, …], …]`, one list per task in the named dataset's order. */
export async function parseBigcodeGenerations(text: string, fileName: string, dataset: Dataset, order: BigcodeOrder): Promise<ReplaySource> {
  let value: unknown;
  try {
    value = JSON.parse(stripBom(text));
  } catch (e) {
    const message = (e as Error).message;
    throw new ReplayFileError(fileName, [{ line: lineOfPosition(text, message), message: `not valid JSON (${message})` }]);
  }
  if (!Array.isArray(value)) throw new ReplayFileError(fileName, [{ line: 1, message: "expected a JSON list of lists of generations (bigcode's generations.json)" }]);
  if (value.length && value.every((v) => typeof v === "object" && v !== null && !Array.isArray(v))) {
    throw new ReplayFileError(fileName, [{ line: 1, message: "this is a JSON list of objects, not of lists: save samples with task ids as JSONL (one object per line) instead" }]);
  }
  const problems: LineProblem[] = [];
  value.forEach((list: unknown, i) => {
    if (!Array.isArray(list)) {
      problems.push({ line: i + 1, field: `[${i}]`, message: `list ${i + 1} is not a list of generations (got ${describeJson(list)})` });
      return;
    }
    list.forEach((g: unknown, j) => {
      if (typeof g !== "string") problems.push({ line: i + 1, field: `[${i}][${j}]`, message: `generation ${j + 1} of list ${i + 1} is not a string (got ${describeJson(g)})` });
    });
  });
  if (!value.length) problems.push({ line: 1, message: "the file holds no generations" });
  const start = order.start ?? 0;
  const tasks = tasksInSplit(dataset.tasks, order.split);
  const where = `${dataset.info.name}${order.split === "all" ? "" : ` (${order.split} split)`}`;
  if (!Number.isInteger(start) || start < 0 || start >= tasks.length) {
    problems.push({ line: 1, message: `the first task's position must be between 0 and ${tasks.length - 1} for ${where} (got ${start})` });
  } else if (value.length > tasks.length - start) {
    problems.push({
      line: tasks.length - start + 1,
      message: `the file has ${value.length} lists but ${where} has only ${tasks.length - start} task(s) from position ${start}: name the dataset and split the generations were made for`,
    });
  }
  if (problems.length) throw new ReplayFileError(fileName, problems.slice(0, 200));

  const lists = value as string[][];
  const samples = new Map<string, string[]>();
  let stripped = 0;
  lists.forEach((list, i) => {
    const task = tasks[start + i]!;
    samples.set(
      task.id,
      list.map((g) => {
        const c = asContinuation(task, g);
        if (c.stripped) stripped++;
        return c.text;
      }),
    );
  });
  const notes: string[] = [
    `List 1 is task ${tasks[start]!.id} and list ${lists.length} is task ${tasks[start + lists.length - 1]!.id} (${where}, in order).`,
  ];
  if (start + lists.length < tasks.length || start > 0) notes.push(`The file covers ${lists.length} of the ${tasks.length} tasks of ${where} (bigcode's --limit / --limit_start).`);
  if (stripped) notes.push(`${stripped} generation(s) began with the task's prompt, which was removed: the prompt is put back when the program runs.`);
  return {
    format: "bigcode",
    name: fileName,
    dataset: { id: dataset.info.id, name: dataset.info.name, sha256: dataset.info.sha256 },
    sha256: await sha256Hex(new TextEncoder().encode(text)),
    order: { split: order.split, start },
    samples,
    report: buildReport(dataset, samples, new Map(), notes),
  };
}

function describeJson(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  return typeof v === "object" ? "an object" : `${typeof v} ${JSON.stringify(v).slice(0, 40)}`;
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

// --- Any file, and reference solutions -----------------------------------------------------------------

/** A bigcode file starts with "[", a JSONL file with "{". */
export function sniffSamplesFormat(text: string): "jsonl" | "bigcode" {
  return stripBom(text).trimStart().startsWith("[") ? "bigcode" : "jsonl";
}

/**
 * The dataset a file was probably made for, so the UI can preselect it: HumanEval ids or 164
 * lists → HumanEval; "Mbpp/…" or numeric ids, or 500 lists → MBPP (bigcode's mbpp = test split).
 */
export function guessSamplesDataset(text: string): { dataset: "humaneval" | "mbpp"; split?: Split } | undefined {
  const body = stripBom(text).trimStart();
  if (body.startsWith("[")) {
    try {
      const v: unknown = JSON.parse(body);
      if (Array.isArray(v) && v.length === 164) return { dataset: "humaneval", split: "test" };
      if (Array.isArray(v) && v.length <= 500) return { dataset: "mbpp", split: "test" };
    } catch {
      return undefined;
    }
    return undefined;
  }
  const id = /"task_id"\s*:\s*("(?:[^"\\]|\\.)*"|\d+)/.exec(body.slice(0, 4000))?.[1];
  if (!id) return undefined;
  if (/^"HumanEval\//i.test(id)) return { dataset: "humaneval" };
  if (/^"?(?:mbpp\/)?\d+"?$/i.test(id)) return { dataset: "mbpp" };
  return undefined;
}

/** Either kind of samples file; `order` is needed for bigcode files (default: the test split). */
export function parseSamplesFile(text: string, fileName: string, dataset: Dataset, order: BigcodeOrder = { split: "test" }): Promise<ReplaySource> {
  return sniffSamplesFormat(text) === "bigcode" ? parseBigcodeGenerations(text, fileName, dataset, order) : parseSamplesJsonl(text, fileName, dataset);
}

/**
 * Every task's reference solution as its one sample: a run over it must pass every task, so it
 * checks prompt rendering, extraction, the test programs and the sandbox end to end.
 */
export function referenceSource(dataset: Dataset): ReplaySource {
  const samples = new Map<string, string[]>();
  let missing = 0;
  for (const t of dataset.tasks) {
    if (t.reference.trim()) samples.set(t.id, [t.reference]);
    else missing++;
  }
  const notes = missing ? [`${missing} task(s) have no reference solution and cannot be replayed.`] : [];
  return {
    format: "reference",
    name: dataset.info.name,
    dataset: { id: dataset.info.id, name: dataset.info.name, sha256: dataset.info.sha256 },
    samples,
    report: buildReport(dataset, samples, new Map(), notes),
  };
}

// --- The engine ----------------------------------------------------------------------------------------

export class ReplayEngine implements Engine {
  private readonly queue = new EngineQueue();

  constructor(readonly source: ReplaySource) {}

  get pendingRequests(): number {
    return this.queue.pending;
  }

  /** How many samples the source holds for a task (0 when none). */
  available(taskId: string): number {
    return this.source.samples.get(taskId)?.length ?? 0;
  }

  describe(): EngineDescription {
    const s = this.source;
    return {
      kind: "replay",
      modelId: s.format === "reference" ? `replay:reference:${s.dataset.id}` : `replay:${s.name}`,
      libraries: {},
      source: s.format === "reference" ? `reference solutions of ${s.dataset.name}` : `${REPLAY_FORMAT_LABELS[s.format]} ${s.name} (${s.dataset.name})`,
      detail: {
        format: s.format,
        dataset: s.dataset.id,
        datasetSha256: s.dataset.sha256,
        ...(s.sha256 ? { sha256: s.sha256 } : {}),
        ...(s.order ? { order: `${s.order.split} from position ${s.order.start}` } : {}),
      },
    };
  }

  /** Nothing to fetch: the samples were read when the source was made. */
  async load(onProgress: ProgressListener, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw abortError(signal);
    onProgress({ phase: "ready", fraction: 1, elapsedMs: 0, text: summariseReport(this.source) });
  }

  generate(req: GenerateRequest, signal?: AbortSignal): Promise<Completion> {
    return this.queue.run(async () => this.sample(req, signal), signal);
  }

  /** The whole sample arrives as one piece. */
  stream(req: GenerateRequest, onDelta: (delta: string) => void, signal?: AbortSignal): Promise<Completion> {
    return this.queue.run(async () => {
      const c = this.sample(req, signal);
      if (c.text) onDelta(c.text);
      return c;
    }, signal);
  }

  private sample(req: GenerateRequest, signal?: AbortSignal): Completion {
    if (signal?.aborted) throw abortError(signal);
    if (!req.replayKey) throw new ReplayRequestError();
    const { taskId, sampleIndex } = req.replayKey;
    const list = this.source.samples.get(taskId) ?? [];
    const text = list[sampleIndex];
    if (text === undefined) throw new ReplaySampleMissingError(this.describe().source ?? this.source.name, taskId, sampleIndex, list.length);
    // Token counts and speeds are unknown: the samples were generated elsewhere.
    return { text, finishReason: "stop", usage: { promptTokens: 0, completionTokens: 0 }, timings: { totalMs: 0 }, seed: req.seed };
  }

  async unload(): Promise<void> {
    this.queue.clear(abortError());
  }
}
