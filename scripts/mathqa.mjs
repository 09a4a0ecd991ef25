// MathQA-Python for the set-up step: MathQA converted by the rules of ../shared/datasets/MATHQA_PYTHON.md
// (the conversion itself is src/lib/tasks/mathqa.ts, loaded through tsx so there is one implementation).
//
// - public/datasets/mathqa-python.jsonl: the test split, converted from the option-normalised MathQA
//   test copy (../shared/datasets/mathqa/, else its commit-pinned GitHub URL). Deterministic, so the
//   manifest pins its sha256 and record count like every other dataset file.
// - public/datasets/mathqa-python-official.jsonl: train, validation and test converted from the official
//   MathQA.zip, when math-qa.github.io is reachable. Not pinned (that zip was never verified here), not
//   read by the app; set-up prints how its split sizes compare with the paper's.
//
// Failures here never stop the other datasets: the official download only warns; the pinned file's
// problem is printed, and set-up's manifest loop then reports the file as missing.
import { existsSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { inflateRawSync } from "node:zlib";
import { checkAgainstManifest, sha256 } from "./manifest.mjs";

export const MATHQA_ZIP_URL = "https://math-qa.github.io/math-QA/data/MathQA.zip";
/** ongzexuan/mathqa-evaluation data/test.json: MathQA's test split with hand-normalised options. */
export const NORMALISED_TEST = {
  shared: "mathqa/test.ongzexuan-normalized.json",
  url: "https://raw.githubusercontent.com/ongzexuan/mathqa-evaluation/9842c467da121c3fa2f53ce4d2f18ecf49f164a0/data/test.json",
  sha256: "c38095d1ff381ff1e3fff2604bcf3631e017bddd83d11e193b95e9d99d9ceea8",
};
/** Austin et al. 2021, §2.2. */
export const PAPER_SIZES = { train: 19209, validation: 2822, test: 1883 };
const OFFICIAL_FILES = { train: "train.json", validation: "dev.json", test: "test.json" };

export class MathQASetupError extends Error {}

async function fetchBytes(url, timeoutMs) {
  let res;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    throw new MathQASetupError(`download from ${url} failed (${e.cause?.code ?? e.cause?.message ?? e.message})`);
  }
  if (!res.ok) throw new MathQASetupError(`download from ${url} failed: HTTP ${res.status} ${res.statusText}`);
  return Buffer.from(await res.arrayBuffer());
}

/**
 * The files of a ZIP archive, by name (stored or deflated entries; read from the central directory,
 * whose sizes are right even when the local headers defer them to a data descriptor).
 */
export function unzip(bytes) {
  const buf = Buffer.from(bytes);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new MathQASetupError("not a ZIP archive (no end-of-central-directory record)");
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const files = new Map();
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new MathQASetupError("corrupt ZIP central directory");
    const method = buf.readUInt16LE(at + 10);
    const compressed = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.toString("utf8", at + 46, at + 46 + nameLen);
    at += 46 + nameLen + extraLen + commentLen;
    if (name.endsWith("/")) continue;
    const dataAt = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(dataAt, dataAt + compressed);
    if (method === 0) files.set(name, Buffer.from(data));
    else if (method === 8) files.set(name, inflateRawSync(data));
    else throw new MathQASetupError(`${name}: unsupported ZIP compression method ${method}`);
  }
  return files;
}

/** The official split files inside MathQA.zip, found by base name (macOS resource forks skipped). */
export function officialSplits(files, url = MATHQA_ZIP_URL) {
  const out = {};
  for (const [split, base] of Object.entries(OFFICIAL_FILES)) {
    const name = [...files.keys()].find((k) => !k.includes("__MACOSX") && (k === base || k.endsWith(`/${base}`)));
    if (!name) throw new MathQASetupError(`${url} has no ${base} (found: ${[...files.keys()].join(", ") || "nothing"})`);
    try {
      out[split] = JSON.parse(files.get(name).toString("utf8"));
    } catch (e) {
      throw new MathQASetupError(`${name} in ${url} is not valid JSON (${e.message})`);
    }
  }
  return out;
}

export function describeConversion(c, paper) {
  const drops = Object.entries(c.counts)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${n} ${reason}`)
    .join(", ");
  const vsPaper = paper ? `; the paper has ${paper.toLocaleString("en")} (${c.kept.length - paper >= 0 ? "+" : ""}${c.kept.length - paper})` : "";
  return `${c.split}: ${c.total.toLocaleString("en")} MathQA problems → ${c.kept.length.toLocaleString("en")} kept${vsPaper}; dropped ${drops || "none"}`;
}

async function loadConverter() {
  const { tsImport } = await import("tsx/esm/api");
  return tsImport(new URL("../src/lib/tasks/mathqa.ts", import.meta.url).href, import.meta.url);
}

async function writeAtomically(path, bytes) {
  await writeFile(`${path}.partial`, bytes);
  await rename(`${path}.partial`, path);
}

async function normalisedTest(sharedDir) {
  const sharedPath = sharedDir ? join(sharedDir, NORMALISED_TEST.shared) : null;
  const [bytes, origin] = sharedPath && existsSync(sharedPath) ? [await readFile(sharedPath), sharedPath] : [await fetchBytes(NORMALISED_TEST.url, 120_000), NORMALISED_TEST.url];
  if (sha256(bytes) !== NORMALISED_TEST.sha256) {
    throw new MathQASetupError(`the MathQA test copy from ${origin} has sha256 ${sha256(bytes)}, expected ${NORMALISED_TEST.sha256}`);
  }
  return { records: JSON.parse(bytes.toString("utf8")), origin };
}

/** The pinned test split; returns true when the file is in place and verified. */
async function placeTestSplit({ root, sharedDir, say, entry }) {
  const dst = join(root, "public", "datasets", entry.file);
  const reportPath = `${dst}.report.txt`;
  if (existsSync(dst) && checkAgainstManifest(entry, await readFile(dst)) === null) {
    say(`${entry.file}: in place, verified (${entry.records} records)`);
    if (existsSync(reportPath)) say(`  ${(await readFile(reportPath, "utf8")).trim().split("\n").join("\n  ")}`);
    return;
  }
  const { records, origin } = await normalisedTest(sharedDir);
  const mathqa = await loadConverter();
  const c = mathqa.convertSplit(records, "test");
  const bytes = Buffer.from(mathqa.toJsonl(c.kept), "utf8");
  const problem = checkAgainstManifest(entry, bytes);
  if (problem) {
    throw new MathQASetupError(
      `${entry.file}: converting ${origin} gave a file that differs from the manifest (${problem}); src/lib/tasks/mathqa.ts changed without the manifest entry. Nothing was written.`,
    );
  }
  const report = [
    describeConversion(c, PAPER_SIZES.test),
    `(from the option-normalised MathQA test copy: its publisher rewrote some options, so 15 problems pass that the notebook dropped and 4 it kept now fail; see the README's data table)`,
  ].join("\n");
  await writeAtomically(dst, bytes);
  await writeFile(reportPath, report + "\n");
  console.log(`${entry.file}: converted from ${origin} (${c.kept.length} records, sha256 verified)\n  ${report.split("\n").join("\n  ")}`);
}

/**
 * All splits from the official zip, when the network reaches it. Never throws: returns whether the
 * file is in place. `url` is a parameter so the tests can serve a zip locally.
 */
export async function placeOfficial({ root, say, url = MATHQA_ZIP_URL }) {
  const dst = join(root, "public", "datasets", "mathqa-python-official.jsonl");
  if (existsSync(dst)) {
    say(`mathqa-python-official.jsonl: in place (from ${url}; delete it to convert again)`);
    return true;
  }
  try {
    say(`MathQA (all splits): downloading ${url}`);
    const splits = officialSplits(unzip(await fetchBytes(url, 60_000)), url);
    const mathqa = await loadConverter();
    const lines = [];
    const kept = [];
    for (const split of ["train", "validation", "test"]) {
      const c = mathqa.convertSplit(splits[split], split);
      kept.push(...c.kept);
      lines.push(describeConversion(c, PAPER_SIZES[split]));
    }
    await writeAtomically(dst, Buffer.from(mathqa.toJsonl(kept), "utf8"));
    console.log(`mathqa-python-official.jsonl: converted from ${url} (${kept.length} records; not pinned by the manifest)\n  ${lines.join("\n  ")}`);
    return true;
  } catch (e) {
    const why = e instanceof MathQASetupError ? e.message : String(e?.stack ?? e);
    console.warn(
      `MathQA (all splits): ${why}. MathQA-Python train/validation are not available on this machine; the test split (mathqa-python.jsonl) and every other dataset are unaffected.`,
    );
    return false;
  }
}

/**
 * Called once by scripts/setup.mjs, before its manifest loop (which then finds the converted file
 * in place and verified). `sharedDir` is ../shared/datasets when present, else null.
 * `quiet` (npm start / dev) skips the official download, which would otherwise be retried on every start.
 */
export async function placeMathQA({ root, sharedDir, say, quiet }) {
  const manifest = JSON.parse(await readFile(join(root, "public", "datasets", "manifest.json"), "utf8"));
  const entry = manifest.files.find((f) => f.dataset === "mathqa-python");
  if (!entry) {
    console.error("MathQA-Python: public/datasets/manifest.json has no mathqa-python entry, so nothing can be checked; restore the entry from git.");
    return;
  }
  try {
    await placeTestSplit({ root, sharedDir, say, entry });
  } catch (e) {
    console.error(`${entry.file}: ${e instanceof MathQASetupError ? e.message : String(e?.stack ?? e)}`);
  }
  if (!quiet) await placeOfficial({ root, say });
}
