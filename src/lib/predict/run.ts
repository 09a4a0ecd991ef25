import { isAbortError, type Engine, type EngineDescription } from "../engines/types.ts";
import type { Sandbox } from "../python/types.ts";
import type { DatasetId, Task } from "../tasks/types.ts";
import { extractPrediction, predictionPrompt, predictItems, type PredictVariant } from "./prompt.ts";
import { scorePrediction, type PredictionScore } from "./score.ts";
import { readTruths, truthProgram, type Truth } from "./truth.ts";

/** Everything that decides a prediction run's prompts and sampling; stored with its results. */
export interface PredictionSpec {
  dataset: DatasetId;
  datasetSha256: string;
  taskIds: string[];
  variants: PredictVariant[];
  form: "completion" | "chat";
  temperature: number;
  maxTokens: number;
  /** Sample i (in run order) is generated with seed `seed + i`. */
  seed: number;
  /** Sandbox limit for computing the truth. */
  timeoutMs: number;
}

export interface PredictionSample {
  taskId: string;
  testIndex: number;
  variant: PredictVariant;
  call: string;
  truth: Truth;
  /** The model's whole answer. */
  raw?: string;
  /** The part read as the predicted value. */
  prediction?: string;
  score?: PredictionScore;
  /** Generation failed for this sample. */
  error?: string;
}

export type PredictionStatus = "running" | "done" | "stopped" | "failed";

export interface PredictionRun {
  id: string;
  createdAt: number;
  engine: EngineDescription;
  spec: PredictionSpec;
  status: PredictionStatus;
  error?: string;
  samples: PredictionSample[];
}

export interface PredictionDeps {
  engine: Pick<Engine, "generate">;
  sandbox: Sandbox;
  /** The run's tasks, in `spec.taskIds` order. */
  tasks: readonly Task[];
  /** Called after every sample; the run object is the same one, updated in place. */
  save: (run: PredictionRun) => Promise<void>;
}

export const sampleKey = (s: Pick<PredictionSample, "taskId" | "testIndex" | "variant">) => `${s.taskId}#${s.testIndex}#${s.variant}`;

/**
 * Computes truths, asks the model about each (item, variant) pair and scores it, saving after
 * every sample. Resumable: samples already scored (or failed) in `run.samples` are kept.
 * Returns the run's final status; an abort ends it as `stopped`.
 */
export async function runPredictions(deps: PredictionDeps, run: PredictionRun, signal?: AbortSignal): Promise<PredictionStatus> {
  const done = new Map(run.samples.map((s) => [sampleKey(s), s]));
  let seedOffset = 0;
  run.status = "running";
  delete run.error;
  try {
    for (const task of deps.tasks) {
      const items = predictItems(task);
      if (!items.length) continue;
      const pending = run.spec.variants.some((v) => items.some((it) => !done.get(sampleKey({ ...it, variant: v }))?.score));
      if (!pending) {
        seedOffset += items.length * run.spec.variants.length;
        continue;
      }
      if (signal?.aborted) throw new DOMException("stopped", "AbortError");
      const verdict = await deps.sandbox.run(truthProgram(task, items), { timeoutMs: run.spec.timeoutMs, ...(signal ? { signal } : {}) });
      if (signal?.aborted) throw new DOMException("stopped", "AbortError");
      const truths = readTruths(verdict, items.length);
      for (const variant of run.spec.variants) {
        for (const [i, item] of items.entries()) {
          const seed = run.spec.seed + seedOffset++;
          const key = sampleKey({ ...item, variant });
          const old = done.get(key);
          if (old?.score || (old && !old.truth.ok)) continue;
          const sample: PredictionSample = { taskId: task.id, testIndex: item.testIndex, variant, call: item.call, truth: truths[i]! };
          if (sample.truth.ok) {
            const { prompt, stop } = predictionPrompt(task, item, items, variant, run.spec.form);
            try {
              const c = await deps.engine.generate(
                { prompt, stop, temperature: run.spec.temperature, topP: 1, maxTokens: run.spec.maxTokens, seed, repetitionPenalty: 1 },
                signal,
              );
              if (c.finishReason === "abort") throw new DOMException("stopped", "AbortError");
              sample.raw = c.text;
              sample.prediction = extractPrediction(c.text, run.spec.form);
              sample.score = scorePrediction(sample.prediction, sample.truth.repr);
            } catch (e) {
              if (isAbortError(e)) throw e;
              sample.error = e instanceof Error ? e.message : String(e);
            }
          }
          const at = run.samples.findIndex((s) => sampleKey(s) === key);
          if (at >= 0) run.samples[at] = sample;
          else run.samples.push(sample);
          done.set(key, sample);
          await deps.save(run);
        }
      }
    }
    run.status = "done";
  } catch (e) {
    run.status = isAbortError(e) ? "stopped" : "failed";
    if (!isAbortError(e)) run.error = e instanceof Error ? e.message : String(e);
  }
  await deps.save(run);
  return run.status;
}

export interface Accuracy {
  correct: number;
  /** Scored samples (a truth and an answer); samples without a truth or with a failed request are not counted. */
  scored: number;
}

export function accuracy(samples: readonly PredictionSample[]): { overall: Accuracy; byVariant: Partial<Record<PredictVariant, Accuracy>> } {
  const overall: Accuracy = { correct: 0, scored: 0 };
  const byVariant: Partial<Record<PredictVariant, Accuracy>> = {};
  for (const s of samples) {
    if (!s.score) continue;
    const v = (byVariant[s.variant] ??= { correct: 0, scored: 0 });
    v.scored++;
    overall.scored++;
    if (s.score.correct) {
      v.correct++;
      overall.correct++;
    }
  }
  return { overall, byVariant };
}
