import { getContext, setContext } from "svelte";
import { BUILTIN_DATASETS, builtinDataset, DatasetFileError, loadBuiltinDataset } from "../lib/tasks/catalog.ts";
import { deleteCustomSet, getCustomSet, importCustomSet, listCustomSets, type CustomSetSummary } from "../lib/tasks/customSets.ts";
import { openPlaygroundDB, type PlaygroundDatabase } from "../lib/runs/db.ts";
import type { Dataset, Split } from "../lib/tasks/types.ts";

export interface DatasetChoice {
  id: string;
  name: string;
  splits: Split[];
  defaultSplit: Split;
  custom: boolean;
}

interface ManifestEntry {
  file: string;
  sha256: string;
  records: number;
}

/**
 * Built-in datasets are fetched from `datasets/` on first use and checked against the committed
 * manifest; custom sets come from IndexedDB. Parsed datasets are cached for the session.
 */
export class DatasetStore {
  #custom = $state.raw<CustomSetSummary[]>([]);
  #dbError = $state<string | null>(null);
  // A cache of loads in flight or done, not reactive state: views await the promises.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #cache = new Map<string, Promise<Dataset>>();
  #manifest: Promise<Map<string, ManifestEntry>> | null = null;
  #db: Promise<PlaygroundDatabase> | null = null;

  get customSets(): CustomSetSummary[] {
    return this.#custom;
  }

  /** Set when IndexedDB cannot be opened (private windows in some browsers, blocked storage). */
  get storageError(): string | null {
    return this.#dbError;
  }

  get choices(): DatasetChoice[] {
    return [
      ...BUILTIN_DATASETS.map((d) => ({ id: d.id, name: d.name, splits: d.splits, defaultSplit: d.defaultSplit, custom: false })),
      ...this.#custom.map((c) => ({
        id: c.id,
        name: `${c.name} (${c.taskCount} ${c.shape === "humaneval" ? "HumanEval-shape" : "MBPP-shape"} tasks)`,
        splits: ["all"] as Split[],
        defaultSplit: "all" as Split,
        custom: true,
      })),
    ];
  }

  db(): Promise<PlaygroundDatabase> {
    this.#db ??= openPlaygroundDB().catch((e: unknown) => {
      this.#dbError = `This browser refused the site's storage (${String((e as Error)?.message ?? e)}). Custom task sets cannot be saved.`;
      this.#db = null;
      throw e;
    });
    return this.#db;
  }

  async refreshCustom(): Promise<void> {
    try {
      this.#custom = await listCustomSets(await this.db());
    } catch {
      // storageError already says why.
    }
  }

  load(id: string): Promise<Dataset> {
    let p = this.#cache.get(id);
    if (!p) {
      p = this.#fetch(id);
      this.#cache.set(id, p);
      p.catch(() => this.#cache.delete(id));
    }
    return p;
  }

  async #fetch(id: string): Promise<Dataset> {
    const def = builtinDataset(id);
    if (def) {
      const manifest = await this.#loadManifest();
      const bytes = await fetchBytes(`datasets/${def.file}`);
      return loadBuiltinDataset(def, bytes, manifest.get(def.file)?.sha256);
    }
    const set = await getCustomSet(await this.db(), id);
    if (!set) throw new DatasetFileError(`There is no dataset "${id}" (a custom set that was deleted?). Pick another dataset.`);
    return {
      info: { id: set.id, name: set.name, sha256: set.sha256, splits: ["all"], source: `imported from ${set.fileName}` },
      tasks: set.tasks,
    };
  }

  #loadManifest(): Promise<Map<string, ManifestEntry>> {
    this.#manifest ??= fetchBytes("datasets/manifest.json").then((bytes) => {
      const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { files: ManifestEntry[] };
      // eslint-disable-next-line svelte/prefer-svelte-reactivity -- read-only lookup, never mutated
      return new Map(parsed.files.map((f) => [f.file, f]));
    });
    return this.#manifest;
  }

  /** Validates and stores a file; throws InvalidTaskFileError / StorageFullError with nothing stored. */
  async importFile(file: File): Promise<CustomSetSummary> {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const summary = await importCustomSet(await this.db(), file.name, bytes);
    await this.refreshCustom();
    return summary;
  }

  async deleteCustom(id: string): Promise<void> {
    await deleteCustomSet(await this.db(), id);
    this.#cache.delete(id);
    await this.refreshCustom();
  }
}

async function fetchBytes(path: string): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(path);
  } catch (e) {
    throw new DatasetFileError(`Could not fetch ${path} (${String((e as Error)?.message ?? e)}). Is the server still running?`);
  }
  if (!res.ok) {
    throw new DatasetFileError(
      `${path} is missing from the server (HTTP ${res.status}). Run the set-up step (\`npm run setup\`) so the datasets are placed in public/datasets/, then rebuild.`,
    );
  }
  return new Uint8Array(await res.arrayBuffer());
}

const KEY = Symbol("datasets");
export function createDatasetStore(): DatasetStore {
  return setContext(KEY, new DatasetStore());
}
export function useDatasets(): DatasetStore {
  return getContext<DatasetStore>(KEY);
}
