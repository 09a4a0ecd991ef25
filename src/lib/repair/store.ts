import { isQuotaError, StorageFullError, type PlaygroundDatabase } from "../runs/db.ts";
import type { RepairDialog } from "./dialog.ts";

/** Repair dialogs in IndexedDB (`dialogs`, schema v3), newest first. */
export async function listDialogs(db: PlaygroundDatabase): Promise<RepairDialog[]> {
  return (await db.getAllFromIndex("dialogs", "byCreated")).reverse();
}

export function getDialog(db: PlaygroundDatabase, id: string): Promise<RepairDialog | undefined> {
  return db.get("dialogs", id);
}

export async function saveDialog(db: PlaygroundDatabase, d: RepairDialog): Promise<void> {
  try {
    // A structured clone of a plain copy: Svelte proxies cannot be cloned.
    await db.put("dialogs", JSON.parse(JSON.stringify(d)) as RepairDialog);
  } catch (e) {
    if (isQuotaError(e)) throw new StorageFullError(`dialog ${d.id} could not be saved`);
    throw e;
  }
}

export function deleteDialog(db: PlaygroundDatabase, id: string): Promise<void> {
  return db.delete("dialogs", id);
}
