import { beforeAll, describe, expect, it } from "vitest";
import { builtinDataset, loadBuiltinDataset } from "../../src/lib/tasks/catalog.ts";
import type { Dataset } from "../../src/lib/tasks/types.ts";
import { ReplayFileError, ReplayRequestError, ReplaySampleMissingError } from "../../src/lib/engines/errors.ts";
import {
  guessSamplesDataset,
  parseBigcodeGenerations,
  parseSamplesFile,
  parseSamplesJsonl,
  referenceSource,
  ReplayEngine,
  summariseReport,
  taskIdResolver,
} from "../../src/lib/engines/replay.ts";
import type { GenerateRequest } from "../../src/lib/engines/types.ts";
import { datasetBytes } from "../support/datasets.ts";

const load = async (id: string): Promise<Dataset> => {
  const def = builtinDataset(id)!;
  return loadBuiltinDataset(def, datasetBytes(def.file));
};
const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
const req = (taskId: string, sampleIndex: number, seed = 7): GenerateRequest => ({
  prompt: { kind: "completion", text: "ignored by replay" },
  temperature: 0.5,
  topP: 0.95,
  maxTokens: 512,
  stop: ["[DONE]"],
  seed,
  repetitionPenalty: 1,
  replayKey: { taskId, sampleIndex },
});

let mbpp: Dataset;
let humaneval: Dataset;
beforeAll(async () => {
  [mbpp, humaneval] = await Promise.all([load("mbpp"), load("humaneval")]);
});

describe("human-eval JSONL", () => {
  it("serves a task's i-th line as its sample i and reports samples per task", async () => {
    const text = jsonl([
      { task_id: "HumanEval/0", completion: "    return False\n" },
      { task_id: "HumanEval/1", completion: "    return []\n" },
      { task_id: "HumanEval/0", completion: "    return True\n", passed: false, result: "failed: " },
    ]);
    const source = await parseSamplesJsonl(text, "samples.jsonl", humaneval);
    expect(source.format).toBe("human-eval");
    expect(source.report).toMatchObject({ samples: 3, tasks: 2, minPerTask: 1, maxPerTask: 2, unknownTaskIds: [] });
    expect(source.report.coverage).toEqual([{ split: "test", tasks: 164, covered: 2 }]);
    expect(source.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(summariseReport(source)).toContain("3 sample(s) for 2 task(s) of HumanEval (164 problems) (1–2 per task; covers 2/164 test): runs over these tasks can use n up to 1.");

    const engine = new ReplayEngine(source);
    expect(engine.available("HumanEval/0")).toBe(2);
    const c = await engine.generate(req("HumanEval/0", 1, 42));
    expect(c).toEqual({ text: "    return True\n", finishReason: "stop", usage: { promptTokens: 0, completionTokens: 0 }, timings: { totalMs: 0 }, seed: 42 });
    expect((await engine.generate(req("HumanEval/0", 0))).text).toBe("    return False\n");

    const missing = await engine.generate(req("HumanEval/1", 1)).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ReplaySampleMissingError);
    expect((missing as Error).message).toMatch(/has 1 sample\(s\) for task HumanEval\/1, so sample #2 does not exist; set n to at most 1/);
    await expect(engine.generate(req("HumanEval/5", 0))).rejects.toThrow(/no samples for task HumanEval\/5/);
    expect(engine.describe()).toEqual({
      kind: "replay",
      modelId: "replay:samples.jsonl",
      libraries: {},
      source: "human-eval JSONL samples.jsonl (HumanEval (164 problems))",
      detail: { format: "human-eval", dataset: "humaneval", datasetSha256: humaneval.info.sha256, sha256: source.sha256 },
    });
  });

  it("rejects a malformed file whole, naming every bad line", async () => {
    const text = [
      JSON.stringify({ task_id: "HumanEval/0", completion: "    return 1\n" }),
      '{"task_id": "HumanEval/1", "completion": "    return 2\\n"',
      "",
      JSON.stringify({ task_id: "HumanEval/2" }),
      JSON.stringify({ task_id: 1.5, completion: "x" }),
      JSON.stringify(["HumanEval/3", "x"]),
      JSON.stringify({ task_id: "HumanEval/4", completion: 7 }),
    ].join("\n");
    const e = await parseSamplesJsonl(text, "broken.jsonl", humaneval).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ReplayFileError);
    const problems = (e as ReplayFileError).problems;
    expect(problems.map((p) => [p.line, p.field])).toEqual([
      [2, undefined],
      [4, "completion"],
      [5, "task_id"],
      [6, undefined],
      [7, "completion"],
    ]);
    expect(problems[0]!.message).toMatch(/not valid JSON/);
    expect(problems[1]!.message).toMatch(/"completion" \(human-eval\) or "solution" \(EvalPlus\)/);
    expect((e as Error).message).toMatch(/^broken\.jsonl was not imported: line 2: not valid JSON .*; line 4, field "completion": needs the generated code.* \(and 2 more\)$/);
  });

  it("refuses a file none of whose tasks are in the chosen dataset", async () => {
    const text = jsonl([{ task_id: "HumanEval/0", completion: "x" }]);
    await expect(parseSamplesJsonl(text, "he.jsonl", mbpp)).rejects.toThrow(/task "HumanEval\/0" is not in MBPP .*pick the dataset these samples were generated for/);
  });

  it("reports unknown task ids with their lines and serves the rest", async () => {
    const text = jsonl([
      { task_id: "HumanEval/3", completion: "a" },
      { task_id: "HumanEval/999", completion: "b" },
      { task_id: "HumanEval/999", completion: "c" },
      { task_id: "Other/1", completion: "d" },
    ]);
    const source = await parseSamplesJsonl(text, "s.jsonl", humaneval);
    expect(source.report.unknownTaskIds).toEqual([
      { taskId: "HumanEval/999", lines: [2, 3] },
      { taskId: "Other/1", lines: [4] },
    ]);
    expect(source.report.samples).toBe(1);
    expect(summariseReport(source)).toMatch(/2 task id\(s\) of the file are not in HumanEval \(164 problems\) and were skipped\.$/);
  });
});

describe("EvalPlus JSONL", () => {
  it("maps Mbpp/<n> ids onto MBPP tasks and takes whole-program solutions as they are", async () => {
    const t11 = mbpp.tasks.find((t) => t.id === "11")!;
    const text = jsonl([
      { task_id: "Mbpp/11", solution: t11.reference },
      { task_id: "Mbpp/11", solution: "def remove_Occ(s, ch):\n    return s\n" },
      { task_id: 12, completion: "def sort_matrix(m):\n    return sorted(m, key=sum)\n" },
    ]);
    const source = await parseSamplesJsonl(text, "mbpp_samples.jsonl", mbpp);
    expect(source.format).toBe("evalplus");
    expect([...source.samples.keys()]).toEqual(["11", "12"]);
    expect(source.report.notes.join(" ")).toMatch(/2 sample\(s\) named their task differently/);
    const engine = new ReplayEngine(source);
    expect((await engine.generate(req("11", 0))).text).toBe(t11.reference);
    expect((await engine.generate(req("12", 0))).text).toContain("def sort_matrix");
  });

  it("prefers solution over completion and turns HumanEval solutions back into continuations", async () => {
    const t0 = humaneval.tasks[0];
    const text = jsonl([
      { task_id: "HumanEval/0", solution: t0!.prompt! + t0!.reference, completion: "ignored" },
      { task_id: "HumanEval/1", solution: "def separate_paren_groups(s):\n    return []\n" },
    ]);
    const source = await parseSamplesJsonl(text, "he_plus.jsonl", humaneval);
    const engine = new ReplayEngine(source);
    // The runner prepends the prompt again, so the program is exactly prompt + canonical solution.
    expect(t0!.prompt + (await engine.generate(req("HumanEval/0", 0))).text).toBe(t0!.prompt! + t0!.reference);
    expect((await engine.generate(req("HumanEval/1", 0))).text).toBe("def separate_paren_groups(s):\n    return []\n");
    expect(source.report.notes.join(" ")).toMatch(/1 solution\(s\) began with the task's prompt/);
  });
});

describe("bigcode-evaluation-harness generations", () => {
  it("maps 500 lists onto the MBPP test split in order (bigcode's mbpp task)", async () => {
    const lists = Array.from({ length: 500 }, (_, i) => [`# list ${i}\n`, `# list ${i} again\n`]);
    const source = await parseBigcodeGenerations(JSON.stringify(lists), "generations.json", mbpp, { split: "test" });
    expect(source.report).toMatchObject({ samples: 1000, tasks: 500, minPerTask: 2, maxPerTask: 2 });
    expect(source.report.coverage.find((c) => c.split === "test")).toEqual({ split: "test", tasks: 500, covered: 500 });
    expect(source.report.notes[0]).toBe("List 1 is task 11 and list 500 is task 510 (MBPP (974 tasks) (test split), in order).");
    const engine = new ReplayEngine(source);
    expect((await engine.generate(req("11", 1))).text).toBe("# list 0 again\n");
    expect((await engine.generate(req("510", 0))).text).toBe("# list 499\n");
    expect(engine.describe().detail).toMatchObject({ format: "bigcode", order: "test from position 0" });
  });

  it("honours --limit_start and strips bigcode's prompt.strip() prefix from HumanEval generations", async () => {
    const tasks = humaneval.tasks.slice(10, 13);
    const lists = tasks.map((t) => [t.prompt!.trim() + "\n" + t.reference]);
    const source = await parseBigcodeGenerations(JSON.stringify(lists), "gen.json", humaneval, { split: "test", start: 10 });
    expect([...source.samples.keys()]).toEqual(["HumanEval/10", "HumanEval/11", "HumanEval/12"]);
    expect(source.samples.get("HumanEval/10")![0]).toBe("\n" + tasks[0]!.reference);
    expect(source.report.notes.join(" ")).toMatch(/covers 3 of the 164 tasks.*3 generation\(s\) began with the task's prompt/);
  });

  it("rejects malformed lists with their positions, and more lists than tasks", async () => {
    const bad = await parseBigcodeGenerations(JSON.stringify([["ok"], [1, "x"], "nope"]), "g.json", mbpp, { split: "test" }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ReplayFileError);
    expect((bad as ReplayFileError).problems).toEqual([
      { line: 2, field: "[1][0]", message: "generation 1 of list 2 is not a string (got number 1)" },
      { line: 3, field: "[2]", message: 'list 3 is not a list of generations (got string "nope")' },
    ]);
    const tooMany = Array.from({ length: 165 }, () => ["x"]);
    await expect(parseBigcodeGenerations(JSON.stringify(tooMany), "g.json", humaneval, { split: "test" })).rejects.toThrow(
      /has 165 lists but HumanEval \(164 problems\) \(test split\) has only 164 task\(s\) from position 0/,
    );
    const syntax = await parseBigcodeGenerations('[\n  ["a"],\n  ["b" "c"]\n]', "g.json", mbpp, { split: "test" }).catch((e: unknown) => e);
    expect((syntax as ReplayFileError).problems[0]).toMatchObject({ line: 3, message: expect.stringMatching(/^not valid JSON/) });
    await expect(parseBigcodeGenerations('[{"task_id": 1}]', "g.json", mbpp, { split: "test" })).rejects.toThrow(/list of objects, not of lists/);
  });

  it("parseSamplesFile tells the two shapes apart", async () => {
    expect((await parseSamplesFile('[["a"]]', "g.json", mbpp, { split: "test" })).format).toBe("bigcode");
    expect((await parseSamplesFile(jsonl([{ task_id: 11, completion: "a" }]), "s.jsonl", mbpp)).format).toBe("human-eval");
  });
});

describe("reference solutions", () => {
  it("serve each task's reference as its one sample", async () => {
    const source = referenceSource(mbpp);
    expect(source.report).toMatchObject({ samples: 974, tasks: 974, minPerTask: 1, maxPerTask: 1 });
    const engine = new ReplayEngine(source);
    const t123 = mbpp.tasks.find((t) => t.id === "123")!;
    expect((await engine.generate(req("123", 0))).text).toBe(t123.reference);
    await expect(engine.generate(req("123", 1))).rejects.toThrow(/set n to at most 1/);
    expect(engine.describe()).toMatchObject({ kind: "replay", modelId: "replay:reference:mbpp", source: "reference solutions of MBPP (974 tasks)" });
    // HumanEval references are bodies: the runner's prompt + reference is the canonical program.
    expect((await new ReplayEngine(referenceSource(humaneval)).generate(req("HumanEval/0", 0))).text).toBe(humaneval.tasks[0]!.reference);
  });
});

describe("the engine contract", () => {
  it("needs a replayKey, honours abort, streams the sample as one piece and reports ready", async () => {
    const engine = new ReplayEngine(referenceSource(mbpp));
    const { replayKey: _drop, ...free } = req("11", 0);
    await expect(engine.generate(free)).rejects.toBeInstanceOf(ReplayRequestError);
    const ctl = new AbortController();
    ctl.abort();
    await expect(engine.generate(req("11", 0), ctl.signal)).rejects.toMatchObject({ name: "AbortError" });
    const pieces: string[] = [];
    const c = await engine.stream(req("11", 0), (d) => pieces.push(d));
    expect(pieces).toEqual([c.text]);
    const seen: string[] = [];
    await engine.load((p) => seen.push(`${p.phase} ${p.fraction}`));
    expect(seen).toEqual(["ready 1"]);
    expect(engine.pendingRequests).toBe(0);
  });

  it("resolves file ids onto dataset ids and guesses a file's dataset", () => {
    const resolve = taskIdResolver(humaneval.tasks, "humaneval");
    expect([resolve("HumanEval/3"), resolve("3"), resolve(" humaneval/3 "), resolve("HumanEval/999"), resolve("Mbpp/3")]).toEqual([
      "HumanEval/3",
      "HumanEval/3",
      "HumanEval/3",
      undefined,
      undefined,
    ]);
    const inMbpp = taskIdResolver(mbpp.tasks, "mbpp");
    expect([inMbpp("Mbpp/11"), inMbpp("11"), inMbpp("HumanEval/11")]).toEqual(["11", "11", undefined]);
    expect(guessSamplesDataset(jsonl([{ task_id: "HumanEval/0", completion: "" }]))).toEqual({ dataset: "humaneval" });
    expect(guessSamplesDataset(jsonl([{ task_id: "Mbpp/2", solution: "" }]))).toEqual({ dataset: "mbpp" });
    expect(guessSamplesDataset(JSON.stringify(Array.from({ length: 164 }, () => [])))).toEqual({ dataset: "humaneval", split: "test" });
    expect(guessSamplesDataset(JSON.stringify(Array.from({ length: 500 }, () => [])))).toEqual({ dataset: "mbpp", split: "test" });
  });
});
