// Dataset manifest checks shared by the set-up step and its unit test. Plain Node, no dependencies:
// set-up must run before anything else is known to work.
import { createHash } from "node:crypto";

export function sha256(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Number of records in a dataset file of the manifest's `format`; throws with a reason. */
export function countRecords(bytes, format) {
  const text = Buffer.from(bytes).toString("utf8");
  if (format === "jsonl") {
    let n = 0;
    text.split("\n").forEach((line, i) => {
      if (!line.trim()) return;
      try {
        JSON.parse(line);
      } catch (e) {
        throw new Error(`line ${i + 1} is not valid JSON (${e.message})`, { cause: e });
      }
      n++;
    });
    return n;
  }
  if (format === "json-array") {
    const value = JSON.parse(text);
    if (!Array.isArray(value)) throw new Error("expected a JSON array");
    return value.length;
  }
  throw new Error(`unknown format ${format}`);
}

/**
 * Checks bytes against a manifest entry. Returns null when they match, else a sentence saying
 * what is wrong (for the set-up step to print next to the file's name).
 */
export function checkAgainstManifest(entry, bytes) {
  const actual = sha256(bytes);
  if (actual !== entry.sha256) {
    return `sha256 mismatch: expected ${entry.sha256}, got ${actual} (${bytes.length} bytes)`;
  }
  let records;
  try {
    records = countRecords(bytes, entry.format);
  } catch (e) {
    return `cannot be parsed as ${entry.format}: ${e.message}`;
  }
  if (records !== entry.records) return `expected ${entry.records} records, found ${records}`;
  return null;
}
