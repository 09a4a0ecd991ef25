import { isQuotaError, StorageFullError, type PlaygroundDatabase } from "../runs/db.ts";
import type { PredictionRun } from "./run.ts";

/** Execution-prediction runs in IndexedDB (`predictions`, schema v3), newest first. */
export async function listPredictionRuns(db: PlaygroundDatabase): Promise<PredictionRun[]> {
  return (await db.getAllFromIndex("predictions", "byCreated")).reverse();
}

export function getPredictionRun(db: PlaygroundDatabase, id: string): Promise<PredictionRun | undefined> {
  return db.get("predictions", id);
}

export async function savePredictionRun(db: PlaygroundDatabase, run: PredictionRun): Promise<void> {
  try {
    // A plain copy: the run may be a Svelte proxy, which IndexedDB cannot clone.
    await db.put("predictions", JSON.parse(JSON.stringify(run)) as PredictionRun);
  } catch (e) {
    if (isQuotaError(e)) throw new StorageFullError(`prediction run ${run.id} could not be saved`);
    throw e;
  }
}

export function deletePredictionRun(db: PlaygroundDatabase, id: string): Promise<void> {
  return db.delete("predictions", id);
}
