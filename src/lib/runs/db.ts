import { openDB, type DBSchema, type IDBPDatabase } from "idb";
import type { CustomShape } from "../tasks/formats.ts";
import type { Task } from "../tasks/types.ts";
import type { OutcomeChunk, RunRecord, SampleRecord, VerdictRecord } from "./types.ts";
import type { RepairDialog } from "../repair/dialog.ts";
import type { PredictionRun } from "../predict/run.ts";

/** Our own database; web-llm's caches use the `webllm/*` names. */
export const DB_NAME = "synthesis-playground";
/**
 * v1: custom task sets. v2: runs, samples, verdicts. v3: repair dialogs, execution-prediction runs.
 * v4: verdict outcomes per run (a digest of the verdicts, rebuilt from them whenever it is behind).
 */
export const DB_VERSION = 4;

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

/** [runId, taskId, sampleIndex]: one sample of one task in one run, in samples and verdicts alike. */
export type SampleKey = [string, string, number];

export interface PlaygroundDB extends DBSchema {
  customSets: { key: string; value: CustomTaskSet; indexes: { byCreated: number } };
  runs: { key: string; value: RunRecord; indexes: { byCreated: number } };
  samples: { key: SampleKey; value: SampleRecord; indexes: { byRun: string } };
  /** Small records (no code, no output beyond caps) so a run page with 40,000 samples opens fast. */
  verdicts: { key: SampleKey; value: VerdictRecord; indexes: { byRun: string } };
  /**
   * Each run's verdict outcomes in chunks, key [runId, chunk]. Reading 40,000 whole verdicts takes
   * IndexedDB seconds; the run page, sweeps and comparisons read these instead.
   */
  outcomes: { key: [string, number]; value: OutcomeChunk };
  /** Repair dialogs (issue 7), one record each, turns inside. */
  dialogs: { key: string; value: RepairDialog; indexes: { byCreated: number } };
  /** Execution-prediction runs (issue 7), samples inside (a few thousand small rows at most). */
  predictions: { key: string; value: PredictionRun; indexes: { byCreated: number } };
}

export type PlaygroundDatabase = IDBPDatabase<PlaygroundDB>;

/** Opens (and upgrades) the database. Each version's step runs once, in order. */
export function openPlaygroundDB(name = DB_NAME, version = DB_VERSION): Promise<PlaygroundDatabase> {
  return openDB<PlaygroundDB>(name, version, {
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        const sets = db.createObjectStore("customSets", { keyPath: "id" });
        sets.createIndex("byCreated", "createdAt");
      }
      if (oldVersion < 2 && version >= 2) {
        db.createObjectStore("runs", { keyPath: "id" }).createIndex("byCreated", "createdAt");
        db.createObjectStore("samples", { keyPath: ["runId", "taskId", "sampleIndex"] }).createIndex("byRun", "runId");
        db.createObjectStore("verdicts", { keyPath: ["runId", "taskId", "sampleIndex"] }).createIndex("byRun", "runId");
      }
      if (oldVersion < 3 && version >= 3) {
        db.createObjectStore("dialogs", { keyPath: "id" }).createIndex("byCreated", "createdAt");
        db.createObjectStore("predictions", { keyPath: "id" }).createIndex("byCreated", "createdAt");
      }
      // Left empty: RunStore.outcomes() builds a run's digest from its verdicts on first read.
      if (oldVersion < 4 && version >= 4) db.createObjectStore("outcomes", { keyPath: ["runId", "chunk"] });
    },
    blocking(_current, _next, event) {
      // Another tab needs a newer schema: step aside so its upgrade can run.
      (event.target as IDBDatabase | null)?.close();
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
  if (e instanceof StorageFullError) return true;
  return typeof DOMException !== "undefined" && e instanceof DOMException && (e.name === "QuotaExceededError" || e.code === 22);
}
