import { getContext, setContext } from "svelte";
import { continueDialog, DEFAULT_MAX_TURNS, newDialog, type FeedbackMode, type RepairDialog, type RepairSettings } from "../lib/repair/dialog.ts";
import { deleteDialog, getDialog, listDialogs, saveDialog } from "../lib/repair/store.ts";
import type { PythonPool } from "../lib/python/pool.ts";
import type { PlaygroundDatabase } from "../lib/runs/db.ts";
import type { Dataset } from "../lib/tasks/types.ts";
import type { EngineState } from "./engine.svelte.ts";

/**
 * Repair dialogs (issue 7; the paper's §5). The dialog the lib mutates stays private (`#live`)
 * and views get a fresh copy after each step, so a `$state.raw` assignment is all the reactivity
 * needed. A dialog at work outlives its page: leaving #/repair/<id> does not stop the model.
 * Execution prediction (predict.svelte.ts) shares {@link ExperimentDeps}.
 */
export interface ExperimentDeps {
  db: () => Promise<PlaygroundDatabase>;
  loadDataset: (id: string) => Promise<Dataset>;
  engine: EngineState;
  pool: () => PythonPool;
}

const copyDialog = (d: RepairDialog): RepairDialog => ({ ...d, turns: d.turns.map((t) => ({ ...t })) });
export const errorMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class NoEngineError extends Error {
  constructor(what: string) {
    super(`No engine is loaded, so ${what}. Load one on the Engines screen (#/engines) and come back.`);
    this.name = "NoEngineError";
  }
}

export interface StartDialog {
  dataset: string;
  taskId: string;
  mode: FeedbackMode;
  settings: RepairSettings;
}

export class RepairState {
  #dialogs = $state.raw<RepairDialog[]>([]);
  #dialog = $state.raw<RepairDialog | null>(null);
  /** The dialog whose model turn is in progress in this page (one at a time: one engine queue). */
  #workingId = $state<string | null>(null);
  #error = $state<string | null>(null);
  #live: RepairDialog | null = null;
  #ctl: AbortController | null = null;

  constructor(private readonly deps: ExperimentDeps) {}

  get dialogs(): RepairDialog[] {
    return this.#dialogs;
  }
  /** The dialog on screen. */
  get dialog(): RepairDialog | null {
    return this.#dialog;
  }
  get busy(): boolean {
    return this.#workingId !== null;
  }
  get workingId(): string | null {
    return this.#workingId;
  }
  get error(): string | null {
    return this.#error;
  }

  async refresh(): Promise<void> {
    try {
      this.#dialogs = await listDialogs(await this.deps.db());
    } catch (e) {
      this.#error = errorMessage(e);
    }
  }

  async open(id: string): Promise<void> {
    this.#error = null;
    if (this.#live?.id === id) {
      this.#dialog = copyDialog(this.#live);
      return;
    }
    try {
      const d = await getDialog(await this.deps.db(), id);
      this.#dialog = d ?? null;
      if (!d) this.#error = `There is no dialog "${id}" in this browser (deleted, or saved in another browser). Start a new one.`;
    } catch (e) {
      this.#error = errorMessage(e);
    }
  }

  /** Creates a dialog, saves it and asks for the first program. Returns its id. */
  async start(s: StartDialog): Promise<string | null> {
    const engine = this.deps.engine.engine;
    const description = this.deps.engine.description;
    this.#error = null;
    if (!engine || !description) {
      this.#error = new NoEngineError("there is no model to talk to").message;
      return null;
    }
    if (this.busy) {
      this.#error = "Another dialog is waiting for the model; stop it or let it finish first (the engine answers one request at a time).";
      return null;
    }
    let d: RepairDialog;
    try {
      const dataset = await this.deps.loadDataset(s.dataset);
      if (!dataset.tasks.some((t) => t.id === s.taskId)) {
        this.#error = `${dataset.info.name} has no task "${s.taskId}". Pick a task id from the task explorer.`;
        return null;
      }
      d = newDialog({ id: crypto.randomUUID(), dataset: dataset.info.id, taskId: s.taskId, mode: s.mode, engine: description, settings: s.settings });
      await saveDialog(await this.deps.db(), d);
    } catch (e) {
      this.#error = `The dialog could not be started: ${errorMessage(e)}`;
      return null;
    }
    this.#live = d;
    this.#dialog = copyDialog(d);
    void this.#step(undefined);
    await this.refresh();
    return d.id;
  }

  /** Sends feedback (human mode) or continues a stopped or failed dialog. */
  async send(feedback?: string): Promise<void> {
    const shown = this.#dialog;
    if (!shown || this.busy) return;
    if (this.#live?.id !== shown.id) this.#live = copyDialog(shown);
    await this.#step(feedback);
  }

  async #step(feedback: string | undefined): Promise<void> {
    const d = this.#live;
    if (!d) return;
    const engine = this.deps.engine.engine;
    if (!engine) {
      this.#error = new NoEngineError("the model cannot revise its program").message;
      return;
    }
    this.#workingId = d.id;
    this.#error = null;
    const ctl = new AbortController();
    this.#ctl = ctl;
    try {
      const dataset = await this.deps.loadDataset(d.dataset);
      const task = dataset.tasks.find((t) => t.id === d.taskId);
      if (!task) throw new Error(`Task ${d.taskId} is no longer in ${d.dataset}; this dialog cannot continue.`);
      const db = await this.deps.db();
      await continueDialog(
        {
          engine,
          sandbox: this.deps.pool(),
          task,
          dataset: dataset.tasks,
          save: (x) => saveDialog(db, x),
          onChange: (x) => {
            if (this.#dialog?.id === x.id) this.#dialog = copyDialog(x);
          },
        },
        d,
        feedback,
        ctl.signal,
      );
      if (d.error) this.#error = d.error;
    } catch (e) {
      this.#error = errorMessage(e);
    } finally {
      this.#workingId = null;
      if (this.#ctl === ctl) this.#ctl = null;
      if (this.#dialog?.id === d.id) this.#dialog = copyDialog(d);
      void this.refresh();
    }
  }

  stop(): void {
    this.#ctl?.abort();
  }

  /** Deletes a dialog from this browser; one waiting for the model must be stopped first. */
  async delete(id: string): Promise<void> {
    this.#error = null;
    if (this.#workingId === id) {
      this.#error = "This dialog is waiting for the model; stop it before deleting it.";
      return;
    }
    try {
      await deleteDialog(await this.deps.db(), id);
      if (this.#live?.id === id) this.#live = null;
      if (this.#dialog?.id === id) this.#dialog = null;
    } catch (e) {
      this.#error = `The dialog could not be deleted: ${errorMessage(e)}`;
    }
    await this.refresh();
  }
}

export { DEFAULT_MAX_TURNS };

const REPAIR = Symbol("repair");
export function createRepairState(deps: ExperimentDeps): RepairState {
  return setContext(REPAIR, new RepairState(deps));
}
export function useRepair(): RepairState {
  return getContext<RepairState>(REPAIR);
}
