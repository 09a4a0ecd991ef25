import { getContext, setContext } from "svelte";
import { accuracy, runPredictions, type PredictionRun, type PredictionSpec } from "../lib/predict/run.ts";
import { deletePredictionRun, getPredictionRun, listPredictionRuns, savePredictionRun } from "../lib/predict/store.ts";
import { errorMessage, NoEngineError, type ExperimentDeps } from "./repair.svelte.ts";

/**
 * Execution-prediction runs (issue 7; the paper's §6). As with repair dialogs, the run the lib
 * mutates stays private (`#live`) and views get a fresh copy after every sample. A run at work
 * outlives its page; one whose status still says "running" with nothing working here was
 * interrupted (a closed tab) and can be resumed: scored samples are kept.
 */
export interface StartPrediction extends Omit<PredictionSpec, "datasetSha256" | "dataset"> {
  dataset: string;
}

export class PredictState {
  #runs = $state.raw<PredictionRun[]>([]);
  #run = $state.raw<PredictionRun | null>(null);
  #busy = $state(false);
  #error = $state<string | null>(null);
  #live: PredictionRun | null = null;
  #ctl: AbortController | null = null;

  constructor(private readonly deps: ExperimentDeps) {}

  get runs(): PredictionRun[] {
    return this.#runs;
  }
  get run(): PredictionRun | null {
    return this.#run;
  }
  get busy(): boolean {
    return this.#busy;
  }
  get error(): string | null {
    return this.#error;
  }
  /** Id of the run working in this page, if any. */
  get liveId(): string | null {
    return this.#busy ? (this.#live?.id ?? null) : null;
  }

  async refresh(): Promise<void> {
    try {
      this.#runs = await listPredictionRuns(await this.deps.db());
    } catch (e) {
      this.#error = errorMessage(e);
    }
  }

  async open(id: string): Promise<void> {
    this.#error = null;
    if (this.#live?.id === id) {
      this.#run = { ...this.#live, samples: [...this.#live.samples] };
      return;
    }
    try {
      const r = await getPredictionRun(await this.deps.db(), id);
      this.#run = r ?? null;
      if (!r) this.#error = `There is no prediction run "${id}" in this browser. Start a new one.`;
    } catch (e) {
      this.#error = errorMessage(e);
    }
  }

  async start(s: StartPrediction): Promise<string | null> {
    this.#error = null;
    const description = this.deps.engine.description;
    if (!this.deps.engine.engine || !description) {
      this.#error = new NoEngineError("there is no model to ask").message;
      return null;
    }
    if (this.#busy) {
      this.#error = "A prediction run is already working in this page; stop it or wait for it first.";
      return null;
    }
    if (!s.taskIds.length || !s.variants.length) {
      this.#error = "Choose at least one task and one prompt variant.";
      return null;
    }
    let run: PredictionRun;
    try {
      const dataset = await this.deps.loadDataset(s.dataset);
      // A lookup table local to this call, not reactive state.
      // eslint-disable-next-line svelte/prefer-svelte-reactivity
      const known = new Set(dataset.tasks.map((t) => t.id));
      const missing = s.taskIds.filter((id) => !known.has(id));
      if (missing.length) {
        this.#error = `${dataset.info.name} has no task ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? " …" : ""}. Fix the task list.`;
        return null;
      }
      run = {
        id: crypto.randomUUID(),
        createdAt: Date.now(),
        engine: description,
        spec: { ...s, dataset: dataset.info.id, datasetSha256: dataset.info.sha256 },
        status: "running",
        samples: [],
      };
      await savePredictionRun(await this.deps.db(), run);
    } catch (e) {
      this.#error = `The run could not be started: ${errorMessage(e)}`;
      return null;
    }
    this.#live = run;
    this.#run = { ...run, samples: [] };
    void this.#work(run);
    await this.refresh();
    return run.id;
  }

  /** Continues a stopped, failed or interrupted run with the loaded engine. */
  async resume(): Promise<void> {
    const shown = this.#run;
    if (!shown || this.#busy) return;
    if (!this.deps.engine.engine) {
      this.#error = new NoEngineError("the run cannot continue").message;
      return;
    }
    this.#live = { ...shown, samples: [...shown.samples] };
    await this.#work(this.#live);
  }

  async #work(run: PredictionRun): Promise<void> {
    const engine = this.deps.engine.engine;
    if (!engine) return;
    this.#busy = true;
    const ctl = new AbortController();
    this.#ctl = ctl;
    try {
      const dataset = await this.deps.loadDataset(run.spec.dataset);
      // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a lookup table local to this call
      const byId = new Map(dataset.tasks.map((t) => [t.id, t]));
      const tasks = run.spec.taskIds.map((id) => byId.get(id)).filter((t) => t !== undefined);
      const db = await this.deps.db();
      await runPredictions(
        {
          engine,
          sandbox: this.deps.pool(),
          tasks,
          save: async (r) => {
            await savePredictionRun(db, r);
            if (this.#run?.id === r.id) this.#run = { ...r, samples: [...r.samples] };
          },
        },
        run,
        ctl.signal,
      );
      if (run.error) this.#error = run.error;
    } catch (e) {
      this.#error = errorMessage(e);
    } finally {
      this.#busy = false;
      if (this.#ctl === ctl) this.#ctl = null;
      void this.refresh();
    }
  }

  stop(): void {
    this.#ctl?.abort();
  }

  /** Deletes a run from this browser; one working in this page must be stopped first. */
  async delete(id: string): Promise<void> {
    this.#error = null;
    if (this.liveId === id) {
      this.#error = "This run is working; stop it before deleting it.";
      return;
    }
    try {
      await deletePredictionRun(await this.deps.db(), id);
      if (this.#live?.id === id) this.#live = null;
      if (this.#run?.id === id) this.#run = null;
    } catch (e) {
      this.#error = `The run could not be deleted: ${errorMessage(e)}`;
    }
    await this.refresh();
  }
}

export { accuracy };

const PREDICT = Symbol("predict");
export function createPredictState(deps: ExperimentDeps): PredictState {
  return setContext(PREDICT, new PredictState(deps));
}
export function usePredict(): PredictState {
  return getContext<PredictState>(PREDICT);
}
