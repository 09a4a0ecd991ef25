import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BUILTIN_DATASETS, DatasetFileError, loadBuiltinDataset } from "../lib/tasks/catalog.ts";
import type { Dataset } from "../lib/tasks/types.ts";

/** The datasets the command-line tools accept (the ones with executable reference solutions). */
export const CLI_DATASETS = ["mbpp", "mbpp-sanitized", "humaneval"] as const;
export type CliDatasetId = (typeof CLI_DATASETS)[number];

export function isCliDataset(id: string): id is CliDatasetId {
  return (CLI_DATASETS as readonly string[]).includes(id);
}

interface ManifestEntry {
  dataset: string;
  file: string;
  sha256: string;
}

/**
 * A built-in dataset from `<datasetsDir>` (public/datasets, placed by `npm run setup`), refused
 * unless its sha256 is the one public/datasets/manifest.json pins: a score computed on a silently
 * different file is worse than none.
 */
export async function loadDatasetFromDisk(id: CliDatasetId, datasetsDir: string): Promise<Dataset> {
  const def = BUILTIN_DATASETS.find((d) => d.id === id);
  if (!def) throw new DatasetFileError(`unknown dataset "${id}": use one of ${CLI_DATASETS.join(", ")}`);
  let manifest: { files: ManifestEntry[] };
  try {
    manifest = JSON.parse(readFileSync(join(datasetsDir, "manifest.json"), "utf8")) as { files: ManifestEntry[] };
  } catch (e) {
    throw new DatasetFileError(`${join(datasetsDir, "manifest.json")} could not be read (${(e as Error).message}): run \`npm run setup\` in the project folder`);
  }
  const entry = manifest.files.find((f) => f.dataset === id);
  if (!entry) throw new DatasetFileError(`${join(datasetsDir, "manifest.json")} lists no file for "${id}": the manifest is out of date; restore it from git`);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(join(datasetsDir, def.file)));
  } catch (e) {
    throw new DatasetFileError(`${join(datasetsDir, def.file)} could not be read (${(e as Error).message}): run \`npm run setup\` to place the dataset files`);
  }
  return loadBuiltinDataset(def, bytes, entry.sha256);
}
