import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAssert } from "../../src/lib/predict/asserts.ts";
import { parsePyLiteral, pyEqual, tryParsePyLiteral } from "../../src/lib/predict/literal.ts";
import { extractPrediction, predictionPrompt, predictItems } from "../../src/lib/predict/prompt.ts";
import { accuracy, runPredictions, type PredictionRun } from "../../src/lib/predict/run.ts";
import { scorePrediction } from "../../src/lib/predict/score.ts";
import { readTruths, truthProgram } from "../../src/lib/predict/truth.ts";
import { createNodePool } from "../../src/lib/python/node.ts";
import type { PythonPool } from "../../src/lib/python/pool.ts";
import type { Completion, GenerateRequest } from "../../src/lib/engines/types.ts";
import { parseMbppJsonl } from "../../src/lib/tasks/formats.ts";
import type { Task } from "../../src/lib/tasks/types.ts";
import { datasetText } from "../support/datasets.ts";

const mbpp = parseMbppJsonl(datasetText("mbpp.jsonl"));
const task = (id: string): Task => mbpp.find((t) => t.id === id)!;

describe("parseAssert", () => {
  it("splits a comparison into the call and the expected text", () => {
    expect(parseAssert('assert remove_Occ("hello","l") == "heo"')).toMatchObject({ call: 'remove_Occ("hello","l")', fn: "remove_Occ", expected: '"heo"' });
    expect(parseAssert("assert sort_matrix([[1, 2, 3], [2, 4, 5]])==[[1, 2, 3], [2, 4, 5]]")).toMatchObject({ call: "sort_matrix([[1, 2, 3], [2, 4, 5]])", expected: "[[1, 2, 3], [2, 4, 5]]" });
  });
  it("ignores == inside strings and brackets, a message after a comma and a comment", () => {
    expect(parseAssert("assert f('a==b', [1 == 1]) == 'x,y' , 'message'  # note")).toMatchObject({ call: "f('a==b', [1 == 1])", expected: "'x,y'" });
    expect(parseAssert('assert f("#") == 2 # comment')).toMatchObject({ call: 'f("#")', expected: "2" });
  });
  it("reads bare and negated truth checks", () => {
    expect(parseAssert("assert is_prime(7)")).toMatchObject({ call: "is_prime(7)", expected: "True" });
    expect(parseAssert("assert not is_prime(8)")).toMatchObject({ call: "is_prime(8)", expected: "False" });
  });
  it("accepts the value on the left", () => {
    expect(parseAssert("assert 3 == f(1)")).toMatchObject({ call: "f(1)", expected: "3" });
  });
  it("skips asserts that are not one call compared with a value", () => {
    expect(parseAssert("assert math.isclose(area(2), 12.56, rel_tol=0.001)")).toBeNull();
    expect(parseAssert("assert set(f(1)) == {1, 2}")).toBeNull();
    expect(parseAssert("assert f(1) + 1 == 2")).toBeNull();
    expect(parseAssert("assert f(1) != 2")).toBeNull();
    expect(parseAssert("assert f(1) == g(2) == 3")).toBeNull();
    expect(parseAssert("x = 1")).toBeNull();
  });
  it("finds a call in most MBPP test asserts", () => {
    const all = mbpp.flatMap((t) => t.tests);
    const parsed = all.filter((a) => parseAssert(a));
    expect(parsed.length / all.length).toBeGreaterThan(0.9);
  });
});

describe("Python literals", () => {
  it("reads numbers, strings, containers and constants", () => {
    expect(parsePyLiteral("-12")).toEqual({ t: "int", v: -12n });
    expect(parsePyLiteral("1_000")).toEqual({ t: "int", v: 1000n });
    expect(parsePyLiteral("0x1F")).toEqual({ t: "int", v: 31n });
    expect(parsePyLiteral("2.5e-3")).toEqual({ t: "float", v: 0.0025 });
    expect(parsePyLiteral("1+2j")).toEqual({ t: "complex", re: 1, im: 2 });
    expect(parsePyLiteral(`'it\\'s\\n'`)).toEqual({ t: "str", v: "it's\n" });
    expect(parsePyLiteral(`r'\\d+' "x"`)).toEqual({ t: "str", v: "\\d+x" });
    expect(parsePyLiteral(`b'ab'`)).toEqual({ t: "bytes", v: "ab" });
    expect(parsePyLiteral("'\\x41\\u00e9'")).toEqual({ t: "str", v: "Aé" });
    expect(parsePyLiteral("(1,)")).toEqual({ t: "tuple", items: [{ t: "int", v: 1n }] });
    expect(parsePyLiteral("(1)")).toEqual({ t: "int", v: 1n });
    expect(parsePyLiteral("1, 2")).toEqual({ t: "tuple", items: [{ t: "int", v: 1n }, { t: "int", v: 2n }] });
    expect(parsePyLiteral("{'a': [None, True], 2: {3}}").t).toBe("dict");
    expect(parsePyLiteral("set()")).toEqual({ t: "set", items: [] });
    expect(parsePyLiteral("{}")).toEqual({ t: "dict", entries: [] });
  });
  it("refuses names, calls, expressions and unclosed text", () => {
    for (const bad of ["heo", "foo(1)", "1 + 2", "[1, 2", "'abc", "frozenset()", "", "1 2", "f'{x}'"]) expect(tryParsePyLiteral(bad), bad).toBeNull();
  });
  it("compares like Python's ==", () => {
    const eq = (a: string, b: string) => pyEqual(parsePyLiteral(a), parsePyLiteral(b));
    expect(eq("1", "1.0")).toBe(true);
    expect(eq("True", "1")).toBe(true);
    expect(eq("[1, 2]", "[1,2]")).toBe(true);
    expect(eq("(1, 2)", "[1, 2]")).toBe(false);
    expect(eq("{1, 2, 2}", "{2, 1}")).toBe(true);
    expect(eq("{'a': 1, 'b': 2}", "{'b': 2, 'a': 1}")).toBe(true);
    expect(eq("{'a': 1}", "{'a': 2}")).toBe(false);
    expect(eq("'1'", "1")).toBe(false);
    expect(eq("None", "0")).toBe(false);
    expect(eq("12345678901234567890", "12345678901234567891")).toBe(false);
  });
});

describe("scorePrediction", () => {
  it("scores literals by value", () => {
    expect(scorePrediction("[[1,1,1], [1,2,3]]", "[[1, 1, 1], [1, 2, 3]]")).toEqual({ correct: true, method: "value" });
    expect(scorePrediction("(4, 5)", "(4, 5)")).toEqual({ correct: true, method: "value" });
    expect(scorePrediction("[4, 5]", "(4, 5)")).toEqual({ correct: false, method: "value" });
    expect(scorePrediction("True", "False")).toEqual({ correct: false, method: "value" });
  });
  it("compares floats within a tolerance", () => {
    expect(scorePrediction("0.3333333", "0.3333333333333333")).toEqual({ correct: true, method: "value" });
    expect(scorePrediction("0.334", "0.3333333333333333")).toEqual({ correct: false, method: "value" });
    expect(scorePrediction("3", "3.0")).toEqual({ correct: true, method: "value" });
    expect(scorePrediction("[1.0000001, 2]", "[1.0, 2]")).toEqual({ correct: true, method: "value" });
  });
  it("compares strings exactly, quotes either way", () => {
    expect(scorePrediction('"heo"', "'heo'")).toEqual({ correct: true, method: "value" });
    expect(scorePrediction("'Heo'", "'heo'")).toEqual({ correct: false, method: "value" });
  });
  it("falls back to text for unparsable answers and non-literal truths", () => {
    expect(scorePrediction("heo", "'heo'")).toEqual({ correct: true, method: "text" });
    expect(scorePrediction("the answer is heo", "'heo'")).toEqual({ correct: false, method: "text" });
    expect(scorePrediction("<generator object f at 0x1>", "<generator object f at 0x1>")).toEqual({ correct: true, method: "text" });
    expect(scorePrediction("[1,  2", "[1, 2]")).toEqual({ correct: false, method: "text" });
    expect(scorePrediction("  ", "1")).toEqual({ correct: false, method: "empty" });
  });
});

describe("prompts and extraction", () => {
  const t11 = task("11");
  const items = predictItems(t11);
  it("takes every assert of task 11 as an item", () => {
    expect(items.map((i) => i.call)).toEqual(['remove_Occ("hello","l")', 'remove_Occ("abcda","a")', 'remove_Occ("PHP","P")']);
  });
  it("varies what the model sees", () => {
    const code = predictionPrompt(t11, items[0]!, items, "code", "completion");
    expect(code.prompt).toEqual({ kind: "completion", text: `${t11.reference.replace(/\r\n/g, "\n").trimEnd()}\n\n>>> remove_Occ("hello","l")\n` });
    expect(code.stop).toEqual(["\n>>>", "\n\n"]);
    const text = predictionPrompt(t11, items[0]!, items, "code+text", "completion").prompt;
    expect(text.kind === "completion" && text.text.startsWith(`# ${t11.text}\n`)).toBe(true);
    const shots = predictionPrompt(t11, items[0]!, items, "code+text+examples", "completion").prompt;
    expect(shots.kind === "completion" && shots.text.endsWith('>>> remove_Occ("abcda","a")\n"bcd"\n>>> remove_Occ("PHP","P")\n"H"\n>>> remove_Occ("hello","l")\n')).toBe(true);
    const chat = predictionPrompt(t11, items[0]!, items, "code+text+examples", "chat").prompt;
    expect(chat.kind).toBe("chat");
    expect(chat.kind === "chat" && chat.messages[0]!.content).toContain("What does `remove_Occ(\"hello\",\"l\")` return?");
  });
  it("reads the value out of an answer", () => {
    expect(extractPrediction("'heo'\n>>> more", "completion")).toBe("'heo'");
    expect(extractPrediction("```python\n>>> f(1)\n[1, 2]\n```", "chat")).toBe("[1, 2]");
    expect(extractPrediction("The call returns `'heo'`.", "chat")).toBe("'heo'");
    expect(extractPrediction("It removes both l's.\n'heo'", "chat")).toBe("'heo'");
    expect(extractPrediction("No idea", "chat")).toBe("No idea");
  });
});

describe("truth and a run, with the sandbox in Node and a scripted engine", () => {
  let pool: PythonPool;
  beforeAll(async () => {
    pool = createNodePool({ size: 1 });
    await pool.ready();
  }, 120_000);
  afterAll(() => pool.close());

  it("prints each call's repr, and one raising call costs only its own truth", async () => {
    const t: Task = { ...task("11"), reference: "def f(x):\n    if x == 2:\n        raise ValueError('two')\n    return [x, str(x), x / 4]\n", tests: ["assert f(1) == 0", "assert f(2) == 0", "assert f(3) == 0"] };
    const items = predictItems(t);
    const v = await pool.run(truthProgram(t, items), { timeoutMs: 10_000 });
    expect(readTruths(v, 3)).toEqual([{ ok: true, repr: "[1, '1', 0.25]" }, { ok: false, error: "ValueError: two" }, { ok: true, repr: "[3, '3', 0.75]" }]);
  });

  it("scores scripted right and wrong answers, per variant, and resumes without asking again", async () => {
    const tasks = [task("11"), task("12")];
    // Right for task 11's items, wrong for task 12's.
    const answers: Record<string, string> = {
      'remove_Occ("hello","l")': '"heo"',
      'remove_Occ("abcda","a")': "'bcd'",
      'remove_Occ("PHP","P")': "H",
    };
    const asked: GenerateRequest[] = [];
    const engine = {
      generate: (req: GenerateRequest): Promise<Completion> => {
        asked.push(req);
        const text = req.prompt.kind === "completion" ? req.prompt.text : "";
        const call = /(?:^|\n)>>> (.*)\n$/.exec(text)![1]!;
        return Promise.resolve({ text: `${answers[call] ?? "[[0]]"}\n`, finishReason: "stop", usage: { promptTokens: 1, completionTokens: 1 }, timings: { totalMs: 1 }, seed: req.seed });
      },
    };
    const run: PredictionRun = {
      id: "p1",
      createdAt: 0,
      engine: { kind: "openai", modelId: "scripted", libraries: {} },
      spec: { dataset: "mbpp", datasetSha256: "x", taskIds: ["11", "12"], variants: ["code", "code+text"], form: "completion", temperature: 0, maxTokens: 32, seed: 7, timeoutMs: 10_000 },
      status: "running",
      samples: [],
    };
    let saves = 0;
    const status = await runPredictions({ engine, sandbox: pool, tasks, save: () => Promise.resolve(void saves++) }, run);
    expect(status).toBe("done");
    expect(run.samples).toHaveLength(12);
    expect(asked.map((r) => r.seed)).toEqual([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
    const a = accuracy(run.samples);
    expect(a.overall).toEqual({ correct: 6, scored: 12 });
    expect(a.byVariant).toEqual({ code: { correct: 3, scored: 6 }, "code+text": { correct: 3, scored: 6 } });
    expect(run.samples.find((s) => s.call === 'remove_Occ("PHP","P")')!.score).toEqual({ correct: true, method: "text" });
    expect(run.samples.find((s) => s.taskId === "12")!.truth).toEqual({ ok: true, repr: "[[1, 1, 1], [1, 2, 3], [2, 4, 5]]" });
    expect(saves).toBeGreaterThanOrEqual(12);

    // Resuming a finished run asks nothing.
    asked.length = 0;
    await runPredictions({ engine, sandbox: pool, tasks, save: () => Promise.resolve() }, run);
    expect(asked).toHaveLength(0);
  }, 60_000);
});
