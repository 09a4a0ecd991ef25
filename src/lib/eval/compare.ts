import type { RunSpec } from "../runs/types.ts";
import { scoreSamples, type SampleOutcome, type TaskScore } from "./passk.ts";
import { mcnemar, pairedBootstrapPassAtK, type BootstrapOptions, type McNemarResult, type PairedDifference, type PairedTask } from "./stats.ts";

/**
 * # Two runs, task by task
 *
 * ```ts
 * const c = compareRuns(verdictsA, verdictsB, { seed: 1 });
 * c.counts;            // { aOnly, bOnly, both, neither } over shared tasks
 * c.groups.aOnly;      // task ids solved by A and not by B
 * c.mcnemar.p;         // exact McNemar on "solved" (at least one passing sample)
 * c.passAtK;           // paired bootstrap of pass@k(B) − pass@k(A)
 * const d = diffSpecs(specA, specB);  // d.warnings: what differs besides the varied parameter
 * ```
 */

export type CompareGroup = "aOnly" | "bOnly" | "both" | "neither";

export interface TaskPair {
  taskId: string;
  a: TaskScore;
  b: TaskScore;
  /** Share of the task's samples that pass, in A and in B. */
  fracA: number;
  fracB: number;
  group: CompareGroup;
}

export interface RunComparison {
  /** Tasks with verdicts in both runs, in A's order. */
  shared: TaskPair[];
  /** Tasks only one of the runs has verdicts for (left out of everything below). */
  onlyInA: string[];
  onlyInB: string[];
  counts: Record<CompareGroup, number>;
  groups: Record<CompareGroup, string[]>;
  /**
   * A task counts as solved when at least one of its samples passes; with one sample per task
   * (greedy decoding) that is the sample's own outcome, as McNemar's test is usually stated.
   */
  mcnemar: McNemarResult;
  /** Whether every shared task has exactly one sample in both runs. */
  singleSample: boolean;
  /** pass@k(B) − pass@k(A) on the shared tasks, for every k both runs have samples for. */
  passAtK: PairedDifference[];
}

const groupOf = (solvedA: boolean, solvedB: boolean): CompareGroup => (solvedA ? (solvedB ? "both" : "aOnly") : solvedB ? "bOnly" : "neither");

/** Which ks to test by default: 1 and the round numbers the paper reports, up to the samples both runs have. */
export function defaultKs(maxK: number): number[] {
  return [1, 2, 5, 10, 20, 50, 80, 100].filter((k) => k <= maxK);
}

export function compareRuns(a: Iterable<SampleOutcome>, b: Iterable<SampleOutcome>, opts: BootstrapOptions & { ks?: readonly number[] } = {}): RunComparison {
  const sa = scoreSamples(a, { ks: [] });
  const sb = scoreSamples(b, { ks: [] });
  const inB = new Map(sb.perTask.map((t) => [t.taskId, t]));
  const inA = new Set(sa.perTask.map((t) => t.taskId));
  const shared: TaskPair[] = [];
  const onlyInA: string[] = [];
  for (const ta of sa.perTask) {
    const tb = inB.get(ta.taskId);
    if (!tb) {
      onlyInA.push(ta.taskId);
      continue;
    }
    shared.push({ taskId: ta.taskId, a: ta, b: tb, fracA: ta.c / ta.n, fracB: tb.c / tb.n, group: groupOf(ta.c > 0, tb.c > 0) });
  }
  const onlyInB = sb.perTask.filter((t) => !inA.has(t.taskId)).map((t) => t.taskId);
  const groups: Record<CompareGroup, string[]> = { aOnly: [], bOnly: [], both: [], neither: [] };
  for (const p of shared) groups[p.group].push(p.taskId);
  const counts = { aOnly: groups.aOnly.length, bOnly: groups.bOnly.length, both: groups.both.length, neither: groups.neither.length };
  const pairs: PairedTask[] = shared.map((p) => ({ taskId: p.taskId, a: { n: p.a.n, c: p.a.c }, b: { n: p.b.n, c: p.b.c } }));
  const minN = shared.length ? Math.min(...shared.map((p) => Math.min(p.a.n, p.b.n))) : 0;
  return {
    shared,
    onlyInA,
    onlyInB,
    counts,
    groups,
    mcnemar: mcnemar(counts.aOnly, counts.bOnly),
    singleSample: shared.length > 0 && shared.every((p) => p.a.n === 1 && p.b.n === 1),
    passAtK: pairedBootstrapPassAtK(pairs, opts.ks ?? defaultKs(minN), opts),
  };
}

/** The parameters a sweep can vary (sweep.ts), and the spec fields each one owns. */
export const PARAMETER_PATHS: Record<string, readonly string[]> = {
  temperature: ["sampling.temperature"],
  fewShotSeed: ["prompt.selection"],
  shots: ["prompt.shots"],
  testsShown: ["prompt.testsShown"],
  model: ["engine"],
};

/** Fields that say nothing about what was measured. */
const IGNORED = ["name", "sweep"];

export interface SpecDifference {
  /** Dotted path into the RunSpec, e.g. "sampling.temperature". */
  path: string;
  a: unknown;
  b: unknown;
  /** The varied parameter this field belongs to, if any. */
  parameter?: string;
}

export interface SpecDiff {
  differences: SpecDifference[];
  /** The parameter both runs say they vary (same sweep), or the single one they differ in. */
  varied?: string;
  /** Differences besides the varied parameter, in words; empty when the runs are comparable. */
  warnings: string[];
}

function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (!entries.length && prefix) out.set(prefix, value);
    for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, value);
}

const parameterOf = (path: string): string | undefined =>
  Object.entries(PARAMETER_PATHS).find(([, paths]) => paths.some((p) => path === p || path.startsWith(`${p}.`)))?.[0];

const show = (v: unknown): string => (v === undefined ? "(not set)" : typeof v === "string" ? `"${v}"` : JSON.stringify(v));

const LABELS: [string, string][] = [
  ["dataset.sha256", "dataset revision (sha256)"],
  ["dataset", "dataset"],
  ["split", "split"],
  ["taskIds", "task list"],
  ["prompt", "prompt"],
  ["engine", "engine/model"],
  ["sampling", "sampling"],
  ["timeoutMs", "time limit"],
  ["pyodideVersion", "Pyodide version"],
];
const labelOf = (path: string) => LABELS.find(([p]) => path === p || path.startsWith(`${p}.`))?.[1] ?? path;

/**
 * What two specs differ in. The varied parameter is the sweep's when both runs belong to the same
 * sweep, `opts.varied` when given, or else the one parameter all differences belong to. Every
 * difference outside it becomes a warning: the comparison then measures more than one change.
 */
export function diffSpecs(a: RunSpec, b: RunSpec, opts: { varied?: string } = {}): SpecDiff {
  const fa = new Map<string, unknown>();
  const fb = new Map<string, unknown>();
  const strip = (s: RunSpec) => Object.fromEntries(Object.entries(s).filter(([k]) => !IGNORED.includes(k) && k !== "taskIds"));
  flatten(strip(a), "", fa);
  flatten(strip(b), "", fb);
  const differences: SpecDifference[] = [];
  for (const path of [...new Set([...fa.keys(), ...fb.keys()])].sort()) {
    const va = fa.get(path);
    const vb = fb.get(path);
    if (JSON.stringify(va) !== JSON.stringify(vb)) differences.push({ path, a: va, b: vb, parameter: parameterOf(path) });
  }
  const sameTasks = a.taskIds.length === b.taskIds.length && a.taskIds.every((t, i) => t === b.taskIds[i]);
  if (!sameTasks) {
    const setB = new Set(b.taskIds);
    const common = a.taskIds.filter((t) => setB.has(t)).length;
    differences.push({ path: "taskIds", a: `${a.taskIds.length} tasks`, b: `${b.taskIds.length} tasks (${common} shared)` });
  }

  let varied = opts.varied;
  if (!varied && a.sweep && b.sweep && a.sweep.id === b.sweep.id && a.sweep.parameter === b.sweep.parameter) varied = a.sweep.parameter;
  if (!varied) {
    const params = new Set(differences.map((d) => d.parameter));
    if (params.size === 1) {
      const [only] = params;
      if (only) varied = only;
    }
  }
  const warnings = differences
    .filter((d) => !varied || d.parameter !== varied)
    .map((d) => (d.path === "taskIds" ? `The runs have different task lists: A ${String(d.a)}, B ${String(d.b)}; only shared tasks are compared.` : `They differ in ${labelOf(d.path)} (${d.path}): A ${show(d.a)}, B ${show(d.b)}.`));
  if (warnings.length && varied) warnings.unshift(`These runs differ in more than the varied parameter (${varied}), so a difference between them may come from any of these:`);
  else if (warnings.length > 1) warnings.unshift(`These runs differ in more than one thing, so a difference between them may come from any of these:`);
  return { differences, varied, warnings };
}
