import { openDB, type DBSchema, type IDBPDatabase } from "idb";
import type { CustomShape } from "../tasks/formats.ts";
import type { Task } from "../tasks/types.ts";

/** Our own database; web-llm's caches use the `webllm/*` names. */
export const DB_NAME = "synthesis-playground";
export const DB_VERSION = 1;

export interface CustomTaskSet {
  /** `custom:<uuid>`, the dataset id its tasks carry. */
  id: `custom:${string}`;
  name: string;
  fileName: string;
  sha256: string;
  shape: CustomShape;
  createdAt: number;
  taskCount: number;
  tasks: Task[];
}

export interface PlaygroundDB extends DBSchema {
  customSets: { key: string; value: CustomTaskSet; indexes: { byCreated: number } };
}

export type PlaygroundDatabase = IDBPDatabase<PlaygroundDB>;

/** Opens (and upgrades) the database. Each version's step runs once, in order. */
export function openPlaygroundDB(name = DB_NAME): Promise<PlaygroundDatabase> {
  return openDB<PlaygroundDB>(name, DB_VERSION, {
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        const sets = db.createObjectStore("customSets", { keyPath: "id" });
        sets.createIndex("byCreated", "createdAt");
      }
    },
    blocking() {
      // Another tab wants a newer schema: let it, this tab reloads on next open.
      void 0;
    },
  });
}

export class StorageFullError extends Error {
  constructor(what: string) {
    super(`The browser's storage for this site is full, so ${what}. Free space (delete old runs, custom sets or cached models) and try again.`);
    this.name = "StorageFullError";
  }
}

export function isQuotaError(e: unknown): boolean {
  return e instanceof DOMException && (e.name === "QuotaExceededError" || e.code === 22);
}
