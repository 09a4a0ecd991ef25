import { isQuotaError, StorageFullError, type CustomTaskSet, type PlaygroundDatabase } from "../runs/db.ts";
import { sha256Hex } from "./catalog.ts";
import { parseCustomJsonl } from "./formats.ts";

export type CustomSetSummary = Omit<CustomTaskSet, "tasks">;

function newId(): `custom:${string}` {
  return `custom:${crypto.randomUUID()}`;
}

/**
 * Validates a user's JSONL file and stores it as one record in one transaction: a file with any
 * bad line is rejected whole (InvalidTaskFileError, nothing written), a full disk writes nothing
 * (StorageFullError).
 */
export async function importCustomSet(db: PlaygroundDatabase, fileName: string, bytes: Uint8Array): Promise<CustomSetSummary> {
  const id = newId();
  const { shape, tasks } = parseCustomJsonl(new TextDecoder().decode(bytes), fileName, id);
  const set: CustomTaskSet = {
    id,
    name: fileName.replace(/\.(jsonl|json|txt)$/i, ""),
    fileName,
    sha256: await sha256Hex(bytes),
    shape,
    createdAt: Date.now(),
    taskCount: tasks.length,
    tasks,
  };
  try {
    await db.put("customSets", set);
  } catch (e) {
    if (isQuotaError(e)) throw new StorageFullError(`${fileName} was not imported`);
    throw e;
  }
  return summary(set);
}

function summary({ tasks: _tasks, ...rest }: CustomTaskSet): CustomSetSummary {
  return rest;
}

export async function listCustomSets(db: PlaygroundDatabase): Promise<CustomSetSummary[]> {
  const all = await db.getAllFromIndex("customSets", "byCreated");
  return all.map(summary);
}

export function getCustomSet(db: PlaygroundDatabase, id: string): Promise<CustomTaskSet | undefined> {
  return db.get("customSets", id);
}

export function deleteCustomSet(db: PlaygroundDatabase, id: string): Promise<void> {
  return db.delete("customSets", id);
}
