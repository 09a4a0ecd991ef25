#!/usr/bin/env node
// Set-up after `npm ci`: Pyodide's runtime files and the datasets, placed where the app serves
// them (public/). Idempotent: files already in place and verified are left alone.
//
//   node scripts/setup.mjs            place everything, say what was done
//   node scripts/setup.mjs --quiet    only speak when something changes or fails (used by npm start)
//
// Datasets come from ../shared/datasets when that folder exists (or $SHARED_DATASETS), otherwise
// from the commit-pinned URLs in public/datasets/manifest.json; either way each file must match
// the manifest's sha256 and record count, or set-up stops naming the file and the reason.
import { copyFile, mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { checkAgainstManifest, sha256 } from "./manifest.mjs";
import { placeMathQA } from "./mathqa.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const quiet = process.argv.includes("--quiet");
const say = (msg) => quiet || console.log(msg);

class SetupError extends Error {}

async function placePyodide() {
  const from = join(root, "node_modules", "pyodide");
  const to = join(root, "public", "pyodide");
  if (!existsSync(from)) {
    throw new SetupError("node_modules/pyodide is missing: run `npm run setup` (it installs dependencies first).");
  }
  await mkdir(to, { recursive: true });
  const files = ["pyodide.asm.wasm", "pyodide.asm.mjs", "python_stdlib.zip", "pyodide-lock.json", "pyodide.mjs"];
  let copied = 0;
  for (const f of files) {
    const src = join(from, f);
    const dst = join(to, f);
    const [a, b] = await Promise.all([stat(src), stat(dst).catch(() => null)]);
    if (b && b.size === a.size && b.mtimeMs >= a.mtimeMs) continue;
    await copyFile(src, dst);
    copied++;
  }
  const version = JSON.parse(await readFile(join(from, "package.json"), "utf8")).version;
  if (copied) console.log(`pyodide ${version}: copied ${copied} runtime file(s) to public/pyodide/`);
  else say(`pyodide ${version}: runtime files already in public/pyodide/`);
}

async function download(entry) {
  let res;
  try {
    res = await fetch(entry.url, { signal: AbortSignal.timeout(120_000) });
  } catch (e) {
    const cause = e.cause?.code ?? e.cause?.message ?? e.message;
    throw new SetupError(`${entry.file}: download from ${entry.url} failed (${cause}).`);
  }
  if (!res.ok) throw new SetupError(`${entry.file}: download from ${entry.url} failed: HTTP ${res.status} ${res.statusText}.`);
  let bytes = Buffer.from(await res.arrayBuffer());
  if (entry.gzip) {
    if (entry.downloadSha256 && sha256(bytes) !== entry.downloadSha256) {
      throw new SetupError(`${entry.file}: the downloaded archive's sha256 is ${sha256(bytes)}, expected ${entry.downloadSha256}.`);
    }
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new SetupError(`${entry.file}: the download is not a valid gzip file (${e.message}).`);
    }
  }
  return bytes;
}

async function placeDataset(entry, sharedDir) {
  const dst = join(root, "public", "datasets", entry.file);
  if (existsSync(dst) && checkAgainstManifest(entry, await readFile(dst)) === null) {
    say(`${entry.file}: in place, verified (${entry.records} records)`);
    return;
  }
  const sharedPath = sharedDir && entry.shared ? join(sharedDir, entry.shared) : null;
  let bytes;
  let origin;
  if (sharedPath && existsSync(sharedPath)) {
    bytes = await readFile(sharedPath);
    origin = sharedPath;
  } else {
    say(`${entry.file}: downloading ${entry.url}`);
    bytes = await download(entry);
    origin = entry.url;
  }
  const problem = checkAgainstManifest(entry, bytes);
  if (problem) throw new SetupError(`${entry.file} (from ${origin}): ${problem}. Nothing was written.`);
  // Write beside, then rename: a failed or interrupted set-up never leaves a half file in place.
  await writeFile(`${dst}.partial`, bytes);
  await rename(`${dst}.partial`, dst);
  console.log(`${entry.file}: placed from ${origin} (${entry.records} records, sha256 verified)`);
}

async function main() {
  await placePyodide();
  const manifest = JSON.parse(await readFile(join(root, "public", "datasets", "manifest.json"), "utf8"));
  const sharedDir = process.env.SHARED_DATASETS ?? resolve(root, "..", "shared", "datasets");
  const haveShared = existsSync(sharedDir);
  say(haveShared ? `datasets: using verified copies in ${sharedDir}` : "datasets: ../shared/datasets not found; downloading");
  // MathQA-Python is converted, not copied (scripts/mathqa.mjs); it runs first so the loop below
  // finds the converted file in place and checks it like any other. It never throws for a download.
  await placeMathQA({ root, sharedDir: haveShared ? sharedDir : null, say, quiet });
  for (const entry of manifest.files) await placeDataset(entry, haveShared ? sharedDir : null);
}

main().catch((e) => {
  console.error(`set-up failed: ${e instanceof SetupError ? e.message : e.stack ?? e}`);
  process.exit(1);
});
