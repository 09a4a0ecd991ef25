import { catalogModel, quantisationOf } from "../engines/models.ts";
import type { EngineDescription } from "../engines/types.ts";
import type { RunRecord, RunSpec } from "./types.ts";

/**
 * # Sweeps
 *
 * A sweep is one run per value of one parameter, everything else shared:
 *
 * ```ts
 * const specs = createSweepSpecs(base, "temperature", [0.2, 0.6, 0.8]);
 * for (const s of specs) await store.createRun(s);   // each run is resumable on its own
 * ```
 *
 * Every spec carries `sweep: { id, parameter, value }`; the sweep page (`#/sweeps/<id>`) finds
 * its runs by that id and draws the paper's figure for the parameter.
 */

export const SWEEP_PARAMETERS = ["temperature", "fewShotSeed", "shots", "testsShown", "model"] as const;
export type SweepParameter = (typeof SWEEP_PARAMETERS)[number];

/** Words for the UI and axis labels. */
export const SWEEP_PARAMETER_LABELS: Record<SweepParameter, string> = {
  temperature: "Sampling temperature",
  fewShotSeed: "Few-shot example seed",
  shots: "Number of few-shot examples",
  testsShown: "Tests shown in the prompt",
  model: "Model",
};

export class SweepSpecError extends Error {
  constructor(what: string) {
    super(`Sweep: ${what}`);
    this.name = "SweepSpecError";
  }
}

export function isSweepParameter(p: string): p is SweepParameter {
  return (SWEEP_PARAMETERS as readonly string[]).includes(p);
}

function checkValue(parameter: SweepParameter, v: string | number): void {
  const whole = (lo: number, hi: number, what: string) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) throw new SweepSpecError(`${what} must be a whole number from ${lo} to ${hi} (got ${String(v)}); fix that value in the list`);
  };
  switch (parameter) {
    case "temperature":
      if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > 2) throw new SweepSpecError(`a temperature must be a number from 0 to 2 (got ${String(v)}); fix that value in the list`);
      return;
    case "fewShotSeed":
      return whole(0, 0x7fffffff, "a few-shot seed");
    case "shots":
      return whole(0, 10, "the number of shots");
    case "testsShown":
      return whole(0, 3, "the number of tests shown");
    case "model":
      if (typeof v !== "string" || !v.trim()) throw new SweepSpecError(`a model must be a model id (got ${String(v)}); pick models from the catalog or type their ids`);
      return;
  }
}

function engineFor(base: EngineDescription, modelId: string): EngineDescription {
  if (base.kind !== "webllm") return { ...base, modelId };
  const m = catalogModel(modelId);
  return { ...base, modelId, quantisation: quantisationOf(modelId) ?? base.quantisation, contextWindow: m?.contextWindow ?? base.contextWindow };
}

/** `base` with the parameter set to `value`; nothing else changes. */
export function applyParameter(base: RunSpec, parameter: SweepParameter, value: string | number): RunSpec {
  checkValue(parameter, value);
  const spec: RunSpec = structuredClone(base);
  switch (parameter) {
    case "temperature":
      spec.sampling.temperature = value as number;
      break;
    case "fewShotSeed": {
      const sel = base.prompt.selection;
      // A fixed list has no seed: a seed sweep draws from the paper's prompt split (MBPP 1–10) unless the base already names a pool.
      spec.prompt.selection = sel.kind === "seeded" ? { ...sel, seed: value as number } : { kind: "seeded", seed: value as number, pool: "prompt" };
      break;
    }
    case "shots":
      spec.prompt.shots = value as number;
      break;
    case "testsShown":
      spec.prompt.testsShown = value as number;
      break;
    case "model":
      spec.engine = engineFor(base.engine, value as string);
      break;
  }
  return spec;
}

const valueLabel = (v: string | number) => (typeof v === "number" ? String(v) : v);

/**
 * One spec per value, sharing everything else with `base` (including its sampling seed, so a
 * temperature sweep differs only in temperature). Names say the value; `sweep.id` groups them.
 */
export function createSweepSpecs(base: RunSpec, parameter: SweepParameter, values: readonly (string | number)[], opts: { id?: string; name?: string } = {}): RunSpec[] {
  if (!isSweepParameter(parameter)) throw new SweepSpecError(`"${String(parameter)}" cannot be swept; choose one of ${SWEEP_PARAMETERS.join(", ")}`);
  if (values.length < 2) throw new SweepSpecError(`a sweep needs at least two values (got ${values.length}); for one value, create a single run`);
  const seen = new Set<string>();
  for (const v of values) {
    const key = JSON.stringify(v);
    if (seen.has(key)) throw new SweepSpecError(`the value ${valueLabel(v)} is listed twice; each value makes one run`);
    seen.add(key);
  }
  const id = opts.id ?? crypto.randomUUID();
  const name = opts.name ?? base.name;
  return values.map((value) => ({ ...applyParameter(base, parameter, value), name: `${name} · ${parameter}=${valueLabel(value)}`, sweep: { id, parameter, value } }));
}

/**
 * Parses the form's comma- or space-separated value list: numbers for numeric parameters,
 * ids for models. Throws a SweepSpecError naming the first bad entry.
 */
export function parseSweepValues(parameter: SweepParameter, text: string): (string | number)[] {
  const parts = text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  return parts.map((p) => {
    if (parameter === "model") return p;
    const v = Number(p);
    if (!Number.isFinite(v)) throw new SweepSpecError(`"${p}" is not a number; ${SWEEP_PARAMETER_LABELS[parameter].toLowerCase()} values are numbers`);
    checkValue(parameter, v);
    return v;
  });
}

/** The runs of one sweep, in increasing value (numbers) or in creation order (models). */
export function sweepRuns(runs: readonly RunRecord[], sweepId: string): RunRecord[] {
  const mine = runs.filter((r) => r.spec.sweep?.id === sweepId);
  return mine.sort((x, y) => {
    const a = x.spec.sweep!.value;
    const b = y.spec.sweep!.value;
    return typeof a === "number" && typeof b === "number" ? a - b : x.createdAt - y.createdAt;
  });
}

/**
 * Parameter counts of models not in the web-llm catalog (OpenAI-compatible servers, replayed
 * samples), for the model-size figure. Values are the model cards' totals.
 */
const EXTRA_PARAMS_B: Record<string, number> = {
  "codegen-350M-mono": 0.35,
  "codegen-2B-mono": 2.7,
  "codegen-6B-mono": 6.9,
  "codegen-16B-mono": 16.1,
  "santacoder": 1.1,
  "starcoder": 15.5,
  "starcoder2-3b": 3.0,
  "starcoder2-7b": 7.2,
  "starcoder2-15b": 16.0,
  "deepseek-coder-1.3b-base": 1.35,
  "deepseek-coder-6.7b-base": 6.7,
  "deepseek-coder-33b-base": 33.3,
  "Qwen2.5-Coder-14B-Instruct": 14.7,
  "Qwen2.5-Coder-32B-Instruct": 32.8,
};

/**
 * Parameters of the model behind `engine`, in billions: the catalog's figure, a known model
 * card's, or the size written in the id ("…-1.5B-…", "…-360M-…"); null when none says.
 */
export function parameterCountB(engine: Pick<EngineDescription, "modelId">): number | null {
  const id = engine.modelId.replace(/^replay:/, "");
  const cat = catalogModel(id);
  if (cat) return cat.paramsB;
  const base = id.split("/").pop() ?? id;
  const known = Object.entries(EXTRA_PARAMS_B).find(([k]) => k.toLowerCase() === base.toLowerCase());
  if (known) return known[1];
  const m = /(?:^|[-_./:])(\d+(?:\.\d+)?)\s*([bm])(?=$|[-_./:])/i.exec(base);
  if (!m) return null;
  const n = Number(m[1]);
  return m[2]!.toLowerCase() === "m" ? n / 1000 : n;
}
