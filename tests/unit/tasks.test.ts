import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { BUILTIN_DATASETS, builtinDataset, loadBuiltinDataset, tasksInSplit, DatasetFileError } from "../../src/lib/tasks/catalog.ts";
import { parseCustomJsonl, parseMbppJsonl } from "../../src/lib/tasks/formats.ts";
import { InvalidTaskFileError } from "../../src/lib/tasks/errors.ts";
import { guessEntryPoint, mbppSplit } from "../../src/lib/tasks/splits.ts";
import { checkAgainstManifest, type ManifestEntry } from "../../scripts/manifest.mjs";
import { datasetBytes, repoRoot } from "../support/datasets.ts";

const manifest = JSON.parse(readFileSync(resolve(repoRoot, "public/datasets/manifest.json"), "utf8")) as { files: ManifestEntry[] };
const entry = (file: string) => manifest.files.find((f) => f.file === file)!;

async function load(id: string) {
  const def = builtinDataset(id)!;
  return loadBuiltinDataset(def, datasetBytes(def.file), entry(def.file).sha256);
}
const countBySplit = (tasks: { split: string }[]) =>
  tasks.reduce<Record<string, number>>((acc, t) => ({ ...acc, [t.split]: (acc[t.split] ?? 0) + 1 }), {});

describe("MBPP (full)", () => {
  it("has 974 tasks in the official splits", async () => {
    const { tasks, info } = await load("mbpp");
    expect(tasks).toHaveLength(974);
    expect(countBySplit(tasks)).toEqual({ prompt: 10, test: 500, validation: 90, train: 374 });
    expect(info.sha256).toBe(entry("mbpp.jsonl").sha256);
    expect(tasksInSplit(tasks, "test").map((t) => t.id).slice(0, 2)).toEqual(["11", "12"]);
  });
  it("keeps shown, challenge and setup code apart", async () => {
    const { tasks } = await load("mbpp");
    const t11 = tasks.find((t) => t.id === "11")!;
    expect(t11).toMatchObject({ format: "assert", split: "test", entryPoint: "remove_Occ" });
    expect(t11.tests).toHaveLength(3);
    expect(t11.hiddenTests.length).toBeGreaterThan(0);
    expect(t11.reference).toContain("def remove_Occ");
    expect(tasks.filter((t) => t.hiddenTests.length).map((t) => t.id)).toEqual(["11", "16", "20", "23", "25", "26", "28", "42", "43", "44", "47"]);
    expect(tasks.filter((t) => t.setup).map((t) => t.id)).toEqual(["367", "927"]);
    expect(tasks.every((t) => t.tests.length === 3)).toBe(true);
  });
});

describe("MBPP sanitized", () => {
  it("has 427 tasks, 257 in test, with test_imports as setup", async () => {
    const { tasks } = await load("mbpp-sanitized");
    expect(tasks).toHaveLength(427);
    expect(countBySplit(tasks)).toEqual({ test: 257, train: 120, validation: 43, prompt: 7 });
    expect(tasks.filter((t) => t.setup).length).toBe(13);
    expect(tasks.every((t) => t.hiddenTests.length === 0 && t.tests.length >= 3)).toBe(true);
  });
});

describe("HumanEval", () => {
  it("has 164 problems whose hidden test calls check(entry_point)", async () => {
    const { tasks } = await load("humaneval");
    expect(tasks).toHaveLength(164);
    const t0 = tasks[0]!;
    expect(t0).toMatchObject({ id: "HumanEval/0", format: "humaneval", entryPoint: "has_close_elements", hiddenTests: ["check(has_close_elements)"] });
    expect(t0.prompt).toContain("def has_close_elements");
    expect(t0.setup).toContain("def check(candidate)");
  });
});

describe("built-in files", () => {
  it("are refused when they differ from the manifest", async () => {
    const def = builtinDataset("mbpp")!;
    const bytes = datasetBytes(def.file).slice();
    bytes[100] = bytes[100]! ^ 1;
    await expect(loadBuiltinDataset(def, bytes, entry(def.file).sha256)).rejects.toThrow(DatasetFileError);
  });
  it("every catalog entry is in the manifest", () => {
    for (const d of BUILTIN_DATASETS) expect(entry(d.file)).toBeDefined();
  });
});

describe("the set-up manifest check", () => {
  it("accepts the verified files and rejects a corrupted one, saying why", () => {
    for (const e of manifest.files) expect(checkAgainstManifest(e, datasetBytes(e.file))).toBeNull();
    const bad = datasetBytes("mbpp.jsonl").slice();
    bad[10] = 0x21;
    expect(checkAgainstManifest(entry("mbpp.jsonl"), bad)).toMatch(/sha256 mismatch/);
  });
  it("rejects a file with the right hash field but the wrong record count", () => {
    const e = { ...entry("HumanEval.jsonl"), records: 165 };
    expect(checkAgainstManifest(e, datasetBytes("HumanEval.jsonl"))).toMatch(/expected 165 records, found 164/);
  });
});

describe("splits and entry points", () => {
  it("follow the MBPP README's id ranges", () => {
    expect([1, 10, 11, 510, 511, 600, 601, 974].map(mbppSplit)).toEqual(["prompt", "prompt", "test", "test", "validation", "validation", "train", "train"]);
  });
  it("skip builtins when guessing the function under test", () => {
    expect(guessEntryPoint(["assert set(similar_elements((3, 4), (5, 4))) == set((4,))"])).toBe("similar_elements");
    expect(guessEntryPoint(["assert math.isclose(area(2), 12.56, rel_tol=0.001)"])).toBe("area");
  });
});

describe("custom JSONL", () => {
  const good = [
    { task_id: 1, text: "Add two numbers.", code: "def add(a, b):\n    return a + b", test_list: ["assert add(1, 2) == 3"] },
    { task_id: 2, prompt: "Negate.", test_list: ["assert neg(1) == -1"], test_imports: ["import math"] },
  ];
  it("imports MBPP-shaped tasks (text or prompt, reference optional)", () => {
    const { shape, tasks } = parseCustomJsonl(good.map((r) => JSON.stringify(r)).join("\n") + "\n", "mine.jsonl", "custom:x");
    expect(shape).toBe("mbpp");
    expect(tasks.map((t) => [t.id, t.text, t.entryPoint, t.setup, t.dataset])).toEqual([
      ["1", "Add two numbers.", "add", "", "custom:x"],
      ["2", "Negate.", "neg", "import math", "custom:x"],
    ]);
  });
  it("imports HumanEval-shaped tasks", () => {
    const line = JSON.stringify({ task_id: "x/0", prompt: "def f():\n", canonical_solution: "    return 1\n", test: "def check(c):\n    assert c() == 1\n", entry_point: "f" });
    const { shape, tasks } = parseCustomJsonl(line, "he.jsonl", "custom:y");
    expect(shape).toBe("humaneval");
    expect(tasks[0]).toMatchObject({ id: "x/0", hiddenTests: ["check(f)"], format: "humaneval" });
  });
  it("rejects the whole file, naming each bad line and field", () => {
    const lines = [JSON.stringify(good[0]), "{not json", JSON.stringify({ task_id: 3, text: "x", test_list: "assert 1" }), "", JSON.stringify(good[0])];
    let err: unknown;
    try {
      parseCustomJsonl(lines.join("\n"), "bad.jsonl", "custom:z");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidTaskFileError);
    const problems = (err as InvalidTaskFileError).problems;
    expect(problems.map((p) => [p.line, p.field ?? null])).toEqual([
      [2, null],
      [3, "test_list"],
      [5, "task_id"],
    ]);
    expect((err as Error).message).toMatch(/^bad.jsonl was not imported: line 2: not valid JSON/);
  });
  it("rejects an empty file and a task without a description", () => {
    expect(() => parseCustomJsonl("\n\n", "empty.jsonl", "custom:e")).toThrow(/holds no tasks/);
    expect(() => parseCustomJsonl(JSON.stringify({ task_id: 1, test_list: ["assert 1"] }), "n.jsonl", "custom:n")).toThrow(/field "text"/);
  });
  it("a corrupted built-in line names its line", () => {
    const text = new TextDecoder().decode(datasetBytes("mbpp.jsonl")).split("\n");
    text[41] = text[41]!.replace('"test_list"', '"test_lisst"');
    expect(() => parseMbppJsonl(text.join("\n"))).toThrow(/line 42, field "test_list"/);
  });
});
