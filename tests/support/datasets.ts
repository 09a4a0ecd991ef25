import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "..", "..");
/** Where tests read dataset files: the set-up step's copies, else the shared verified folder. */
export function datasetBytes(file: string): Uint8Array {
  for (const dir of [resolve(root, "public", "datasets"), resolve(root, "..", "shared", "datasets")]) {
    const p = resolve(dir, file);
    if (existsSync(p)) return new Uint8Array(readFileSync(p));
  }
  throw new Error(`dataset file ${file} not found: run \`npm run setup\` (or place ../shared/datasets)`);
}
export const datasetText = (file: string) => new TextDecoder().decode(datasetBytes(file));
export const repoRoot = root;
