import { getContext, setContext } from "svelte";
import { referenceSource, ReplayEngine } from "../lib/engines/replay.ts";
import type { Engine } from "../lib/engines/types.ts";
import type { PythonPool } from "../lib/python/pool.ts";
import type { PlaygroundDatabase } from "../lib/runs/db.ts";
import { exportRun, importRun, samplesJsonl } from "../lib/runs/exchange.ts";
import { StorageFaults } from "../lib/runs/faults.ts";
import { Runner, type RunProgress } from "../lib/runs/runner.ts";
import { engineMismatch, runnerDeps } from "../lib/runs/spec.ts";
import { RunStore } from "../lib/runs/store.ts";
import type { RunRecord, RunSpec, VerdictRecord } from "../lib/runs/types.ts";
import type { Dataset } from "../lib/tasks/types.ts";
import type { EngineState } from "./engine.svelte.ts";

/** The run store's writes go through this, so the e2e suite can fill the disk (devtools.ts). */
export const sharedStorageFaults = new StorageFaults();

/** How often live progress reaches the views: a replay run produces hundreds of samples a second. */
const FLUSH_MS = 150;

interface Live {
  runner: Runner;
  /** Resolves when the current start() ends. */
  done: Promise<RunRecord["status"]>;
}

export interface RunsDeps {
  db: () => Promise<PlaygroundDatabase>;
  loadDataset: (id: string) => Promise<Dataset>;
  engine: EngineState;
  pool: () => PythonPool;
}

/**
 * Runs in this browser: the list, the runners working in this page, and the actions the screens
 * offer. A runner outlives the page that started it (leaving the run page does not stop it); a
 * run whose status says "running" but has no runner here was interrupted (a closed tab) and is
 * offered for resuming.
 */
export class RunsState {
  #runs = $state.raw<RunRecord[]>([]);
  #loaded = $state(false);
  #error = $state<string | null>(null);
  #progress = $state.raw<Record<string, RunProgress>>({});
  /** A spec to start the New run form from (Duplicate). */
  draft = $state.raw<RunSpec | null>(null);
  // Runners are long-lived objects, not reactive state; `#progress` mirrors what views show.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #live = new Map<string, Live>();
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #verdictListeners = new Map<string, Set<(v: VerdictRecord[]) => void>>();
  #store: Promise<RunStore> | null = null;

  constructor(private readonly deps: RunsDeps) {}

  store(): Promise<RunStore> {
    this.#store ??= this.deps.db().then((db) => new RunStore(db, { beforeWrite: sharedStorageFaults.check }));
    this.#store.catch(() => (this.#store = null));
    return this.#store;
  }

  get runs(): RunRecord[] {
    return this.#runs;
  }
  get loaded(): boolean {
    return this.#loaded;
  }
  get error(): string | null {
    return this.#error;
  }

  /** Live progress of a run working in this page, or undefined. */
  progress(id: string): RunProgress | undefined {
    return this.#progress[id];
  }

  isLive(id: string): boolean {
    return this.#progress[id]?.status === "running";
  }

  async refresh(): Promise<void> {
    try {
      this.#runs = await (await this.store()).listRuns();
      this.#error = null;
    } catch (e) {
      this.#error = `The runs could not be read from this browser's storage: ${String((e as Error)?.message ?? e)}`;
    } finally {
      this.#loaded = true;
    }
  }

  async get(id: string): Promise<RunRecord | undefined> {
    return (await this.store()).getRun(id);
  }

  async create(spec: RunSpec): Promise<RunRecord> {
    const run = await (await this.store()).createRun(spec);
    await this.refresh();
    return run;
  }

  /**
   * The engine to continue `spec` with: the loaded one if it is the run's; for a run replaying a
   * dataset's reference solutions, a fresh replay engine (those samples are part of the dataset).
   */
  engineFor(spec: RunSpec, dataset?: Dataset): { engine: Engine | null; reason: string | null } {
    const loaded = this.deps.engine.engine;
    const reason = engineMismatch(spec, this.deps.engine.description);
    if (!reason && loaded) return { engine: loaded, reason: null };
    if (spec.engine.kind === "replay" && spec.engine.detail?.format === "reference") {
      if (!dataset) return { engine: null, reason: null };
      return { engine: new ReplayEngine(referenceSource(dataset)), reason: null };
    }
    return { engine: null, reason };
  }

  /** Why `start` would refuse right now, or null. */
  cannotStart(spec: RunSpec): string | null {
    if (spec.engine.kind === "replay" && spec.engine.detail?.format === "reference") return null;
    return engineMismatch(spec, this.deps.engine.description);
  }

  /** Starts or resumes a run in this page; resolves when it stops (done, paused, cancelled, failed). */
  async start(id: string): Promise<RunRecord["status"]> {
    const existing = this.#live.get(id);
    if (existing && this.isLive(id)) return existing.done;
    const store = await this.store();
    let runner = existing?.runner;
    if (!runner) {
      const run = await store.getRun(id);
      if (!run) throw new Error(`There is no run ${id} (was it deleted?).`);
      const dataset = await this.deps.loadDataset(run.spec.dataset.id);
      const { engine, reason } = this.engineFor(run.spec, dataset);
      if (!engine) throw new Error(`This run cannot continue: ${reason ?? "no engine"}.`);
      const pool = this.deps.pool();
      runner = new Runner(run, runnerDeps({ spec: run.spec, dataset, store, engine, executor: pool }));
      this.#wire(id, runner);
    }
    const done = runner.start().finally(() => {
      this.#flush(id, runner);
      void this.refresh();
    });
    this.#live.set(id, { runner, done });
    this.#setProgress(id, { ...runner.progress(), status: "running" });
    return done;
  }

  #wire(id: string, runner: Runner): void {
    let timer: ReturnType<typeof setTimeout> | null = null;
    let pending: VerdictRecord[] = [];
    let lastStatus: RunRecord["status"] | null = null;
    const flush = () => {
      timer = null;
      this.#setProgress(id, runner.progress());
      if (pending.length) {
        const batch = pending;
        pending = [];
        for (const l of this.#verdictListeners.get(id) ?? []) l(batch);
      }
    };
    this.#flushers.set(id, flush);
    runner.onVerdict((v) => pending.push(v));
    runner.onProgress((p) => {
      if (p.status !== lastStatus) {
        lastStatus = p.status;
        if (timer) clearTimeout(timer);
        flush();
        return;
      }
      timer ??= setTimeout(flush, FLUSH_MS);
    });
  }

  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #flushers = new Map<string, () => void>();
  #flush(id: string, runner: Runner): void {
    const f = this.#flushers.get(id);
    if (f) f();
    else this.#setProgress(id, runner.progress());
  }

  #setProgress(id: string, p: RunProgress): void {
    this.#progress = { ...this.#progress, [id]: p };
  }

  /** New verdicts of a live run, in batches; returns the unsubscribe function. */
  onVerdicts(id: string, listener: (v: VerdictRecord[]) => void): () => void {
    let set = this.#verdictListeners.get(id);
    // Listener bookkeeping, not state a view reads.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    if (!set) this.#verdictListeners.set(id, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  pause(id: string): void {
    this.#live.get(id)?.runner.pause();
  }

  async cancel(id: string): Promise<void> {
    const live = this.#live.get(id);
    if (live && this.isLive(id)) {
      live.runner.cancel();
      await live.done;
      return;
    }
    await (await this.store()).setStatus(id, "cancelled");
    await this.refresh();
  }

  async delete(id: string): Promise<void> {
    const live = this.#live.get(id);
    if (live && this.isLive(id)) {
      live.runner.cancel();
      await live.done;
    }
    this.#live.delete(id);
    this.#flushers.delete(id);
    const { [id]: _gone, ...rest } = this.#progress;
    this.#progress = rest;
    await (await this.store()).deleteRun(id);
    await this.refresh();
  }

  duplicate(spec: RunSpec): void {
    this.draft = structuredClone(spec);
  }

  async importFile(file: { name: string; text(): Promise<string> }): Promise<RunRecord> {
    const run = await importRun(await this.store(), await file.text(), file.name);
    await this.refresh();
    return run;
  }

  async exportJson(id: string): Promise<{ name: string; text: string }> {
    const data = await exportRun(await this.store(), id);
    return { name: `${fileStem(data.run.spec.name)}.run.json`, text: JSON.stringify(data) };
  }

  async exportJsonl(id: string): Promise<{ name: string; text: string }> {
    const store = await this.store();
    const run = await store.getRun(id);
    if (!run) throw new Error(`There is no run ${id} (was it deleted?).`);
    const dataset = await this.deps.loadDataset(run.spec.dataset.id);
    const [samples, verdicts] = await Promise.all([store.samples(id), store.verdicts(id)]);
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a lookup built once for the export
    const text = samplesJsonl(run.spec, samples, verdicts, new Map(dataset.tasks.map((t) => [t.id, t])));
    return { name: `${fileStem(run.spec.name)}.samples.jsonl`, text };
  }
}

function fileStem(name: string): string {
  return name.replace(/[^\w.-]+/g, "_").replace(/_+/g, "_").slice(0, 80) || "run";
}

/** Offers `text` as a download named `name`. */
export function download(name: string, text: string, type = "application/json"): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

const KEY = Symbol("runs");
export function createRunsState(deps: RunsDeps): RunsState {
  return setContext(KEY, new RunsState(deps));
}
export function useRuns(): RunsState {
  return getContext<RunsState>(KEY);
}
