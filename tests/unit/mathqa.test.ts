import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { deflateRawSync } from "node:zlib";
import { officialSplits, placeMathQA, placeOfficial, unzip } from "../../scripts/mathqa.mjs";
import { runGold } from "../../src/lib/eval/gold.ts";
import { MATHQA_RTOL, programForTask } from "../../src/lib/eval/program.ts";
import { createNodePool } from "../../src/lib/python/node.ts";
import type { PythonPool } from "../../src/lib/python/pool.ts";
import { defaultMathqaPromptSpec, mathqaPromptProblems, renderMathqaPrompt } from "../../src/lib/prompts/mathqa.ts";
import { builtinDataset, loadBuiltinDataset } from "../../src/lib/tasks/catalog.ts";
import { InvalidTaskFileError } from "../../src/lib/tasks/errors.ts";
import {
  DSL_OPS,
  SCIPY_STANDIN,
  constantValue,
  convertRecord,
  convertSplit,
  emitProgram,
  extractNumbers,
  goldFromOptions,
  mathqaTask,
  parseLinearFormula,
  parseMathQAPythonJsonl,
  publishedProgram,
  pyFloatRepr,
  runOps,
  runnableProgram,
  type MathQAPythonRecord,
  type MathQARecord,
} from "../../src/lib/tasks/mathqa.ts";
import type { Task } from "../../src/lib/tasks/types.ts";
import { datasetBytes, datasetText, repoRoot } from "../support/datasets.ts";

/** A hand-made MathQA record: `correct` is option a, holding `gold`. */
function record(problem: string, formula: string, gold: number | string, extra: Partial<MathQARecord> = {}): MathQARecord {
  return {
    Problem: problem,
    Rationale: `"worked out by hand"`,
    options: `a ) ${typeof gold === "number" ? pyFloatRepr(gold) : gold} , b ) 12345 , c ) none`,
    correct: "a",
    annotated_formula: "",
    linear_formula: formula,
    category: "general",
    ...extra,
  };
}

const last = <T>(xs: readonly T[]) => xs[xs.length - 1]!;

describe("numbers, constants and the gold value, as the notebook reads them", () => {
  it("binds every number-like token left to right, signs only when glued", () => {
    expect(extractNumbers("a sum of rs . 1,200 at 4.5 % for - 5 years , 3 rd day , 1 / 2 , -7 and .25 and 2e3")).toEqual([1200, 4.5, 5, 3, 1, 2, -7, 0.25, 2000]);
    expect(extractNumbers("two trains")).toEqual([]);
  });
  it("prints floats as Python's repr does", () => {
    const cases: [number, string][] = [
      [3, "3.0"], [0.5, "0.5"], [1e-5, "1e-05"], [0.0001, "0.0001"], [31.1, "31.1"], [1e16, "1e+16"],
      [1234567890123456, "1234567890123456.0"], [-2.5e-7, "-2.5e-07"], [Math.PI, "3.141592653589793"], [1.5e300, "1.5e+300"],
    ];
    for (const [x, repr] of cases) expect(pyFloatRepr(x)).toBe(repr);
  });
  it("reads every constant form: whole, with a fractional group, π and degrees-to-radians", () => {
    expect(constantValue("const_100")).toBe(100);
    expect(constantValue("const_2")).toBe(2);
    expect(constantValue("const_0_25")).toBe(0.25);
    expect(constantValue("const_3_6")).toBe(3.6);
    expect(constantValue("const_0_2778")).toBe(0.2778);
    expect(constantValue("const_1_6")).toBe(1.6);
    expect(constantValue("const_pi")).toBe(Math.PI);
    expect(constantValue("const_deg_to_rad")).toBe(Math.PI / 180);
  });
  it("takes the gold value from the correct option, a later option, or a one-space integer fraction", () => {
    expect(goldFromOptions("a ) rs . 400 , b ) rs . 300 , c ) 250", "b")).toBe(300);
    expect(goldFromOptions("a ) 1 / 2 , b ) 1 / 3 , c ) 12 / 5", "c")).toBe(2.4);
    expect(goldFromOptions("a ) 1 / 2 , b ) 1 / 3", "a")).toBe(0.5);
    // A decimal numerator misses the fixed offset: the notebook reads 1.5, not 0.75.
    expect(goldFromOptions("a ) 1.5 / 2 , b ) 3", "a")).toBe(1.5);
    // No number in the correct option: the next option's is taken.
    expect(goldFromOptions("a ) none of these , b ) 7", "a")).toBe(7);
    expect(goldFromOptions("a ) 5 , b ) 6 , e ) none of these", "e")).toBeNull();
    // A sign written with a space is lost; a ratio is read as its first term.
    expect(goldFromOptions("a ) - 120 , b ) 3 : 4", "a")).toBe(120);
    expect(goldFromOptions("a ) - 120 , b ) 3 : 4", "b")).toBe(3);
    // No marker: the search starts at the last character.
    expect(goldFromOptions("a ) 1 , b ) 2", "d")).toBe(2);
  });
});

describe("every DSL operation, emitted and evaluated", () => {
  let pool: PythonPool;
  beforeAll(() => {
    pool = createNodePool({ size: 1 });
  });
  afterAll(async () => {
    await pool.close();
  });

  const numbers = [6, 4, 3];
  const program = (name: string) => {
    const ops = parseLinearFormula(`${name}(n0,n1,n2)|`);
    return { ops, code: emitProgram(ops, numbers), value: last(runOps(ops, numbers, "python")) };
  };

  it("emits the notebook's expression for each op (spot checks against MATHQA_PYTHON.md's table)", () => {
    const rhs = (name: string) => last(program(name).code.split("\n"));
    expect(rhs("max")).toBe("answer = max(n0,n1)");
    expect(rhs("power")).toBe("answer = n0**min(n1, 5)");
    expect(rhs("gcd")).toBe("answer = scipy.gcd(int(n0), int(n1))");
    expect(rhs("choose")).toBe("answer = scipy.special.comb(n0, n1)");
    expect(rhs("square_edge_by_perimeter")).toBe("answer = n0 / 4. # square edge given perimeter");
    expect(rhs("rectangle_perimeter")).toBe("answer = 2 * (n0 + n1)  # perimetere of rectangle");
    expect(rhs("circle_sector_area")).toBe("answer = n1 / 360 * math.pi * (n0**2)");
    expect(rhs("original_price_before_loss")).toBe("answer = n1 * 100 / (100 + 1e-5 - n0)  # original price before loss");
    expect(rhs("permutation")).toBe("answer = math.factorial(int(max(n0, n1))) / math.factorial(int(max(n0, n1) - min(n0, n1)))  # find all permutations");
    expect(rhs("triangle_area_three_edges")).toBe(
      "answer = (lambda s, a, b, c: math.sqrt(max(0, s * (s - a) * (s - b) * (s - c))))((n0 + n1 + n2) / 2, n0, n1, n2)  # Heron's formula",
    );
    expect(rhs("speed_in_still_water")).toBe("answer = n0 + n1 / 2");
  });

  it("lays out a program as the notebook does: imports, bindings, steps, `answer =`; one op gets a blank line", () => {
    expect(program("add").code).toBe("n0 = 6.0\nn1 = 4.0\nn2 = 3.0\n\nanswer = n0 + n1");
    expect(program("sqrt").code.startsWith("import math\nn0 = 6.0")).toBe(true);
    expect(program("lcm").code.startsWith("import scipy\nn0 = 6.0")).toBe(true);
    const both = emitProgram(parseLinearFormula("choose(n0,n1)|sqrt(#0)|"), numbers);
    expect(both).toBe("import math\nimport scipy\nn0 = 6.0\nn1 = 4.0\nn2 = 3.0\nt0 = scipy.special.comb(n0, n1)\nanswer = math.sqrt(max(0, t0))");
  });

  it("inlines every constant form as Python float text and refers to earlier results as t<k>", () => {
    const ops = parseLinearFormula("add(const_100,const_0_25)|multiply(#0,const_3_6)|add(#1,const_pi)|multiply(#2,const_deg_to_rad)|add(#3,const_0_2778)|");
    expect(emitProgram(ops, [])).toBe(
      [
        "t0 = 100.0 + 0.25",
        "t1 = t0 * 3.6",
        "t2 = t1 + 3.141592653589793",
        "t3 = t2 * 0.017453292519943295",
        "answer = t3 + 0.2778",
      ].join("\n"),
    );
  });

  it("converts a hand-made MathQA record for every op, and its program gives in Python (Pyodide) the answer recorded, to 1e-12", async () => {
    const converted = DSL_OPS.map((name) => {
      const dslValue = last(runOps(parseLinearFormula(`${name}(n0,n1,n2)|`), numbers, "dsl"));
      expect(dslValue, name).not.toBeNull();
      return { name, c: convertRecord(record("values 6 , 4 and 3", `${name}(n0,n1,n2)|`, dslValue!)) };
    });
    // Only the two unparenthesised stream ops make the program disagree with the DSL.
    const dropped = converted.flatMap(({ name, c }) => ("dropped" in c ? [`${name}: ${c.dropped.reason}`] : []));
    expect(dropped).toEqual(["speed_in_still_water: python-mismatch", "stream_speed: python-mismatch"]);
    const kept = converted.flatMap(({ name, c }) => ("kept" in c ? [{ name, r: c.kept }] : []));
    const tasks = kept.map(({ name, r }) => ({ name, code: r.code, task: mathqaTask({ ...r, task_id: 0, split: "test" }) }));
    const verdicts = await Promise.all(tasks.map(({ task }) => pool.run(programForTask(task, task.reference, { mathqaRtol: 1e-12 }), { timeoutMs: 10_000 })));
    const failed = verdicts.flatMap((v, i) => (v.kind === "passed" ? [] : [`${tasks[i]!.name}: ${v.kind} ${v.error?.type ?? ""} ${v.error?.message ?? ""}\n${tasks[i]!.code}`]));
    expect(failed).toEqual([]);
    expect(kept.length).toBe(DSL_OPS.length - 2);
    expect(DSL_OPS.length).toBeGreaterThanOrEqual(60);
  });

  it("runs the numeric DSL with trax's rules where they differ from the program", () => {
    const ops = (f: string) => parseLinearFormula(f);
    expect(last(runOps(ops("speed_in_still_water(n0,n1)"), numbers, "dsl"))).toBe(5);
    expect(last(runOps(ops("speed_in_still_water(n0,n1)"), numbers, "python"))).toBe(8);
    expect(last(runOps(ops("stream_speed(n0,n1)"), numbers, "dsl"))).toBe(1);
    expect(last(runOps(ops("stream_speed(n0,n1)"), numbers, "python"))).toBe(4);
    expect(last(runOps(ops("divide(n0,const_0)"), numbers, "dsl"))).toBe(0);
    expect(() => runOps(ops("divide(n0,const_0)"), numbers, "python")).toThrow(/ZeroDivisionError/);
    expect(last(runOps(ops("inverse(const_0)"), numbers, "dsl"))).toBe(0);
    // Python's modulo takes the divisor's sign; max/min keep the first of equals.
    expect(last(runOps(ops("negate(n0)|reminder(#0,n1)"), numbers, "python"))).toBe(2);
    // Ops the notebook does not know have no value.
    expect(last(runOps(ops("min(n0,n1)"), numbers, "dsl"))).toBeNull();
    expect(last(runOps(ops("surface_cylinder(n0,n1)"), numbers, "dsl"))).toBeNull();
  });
});

function fakeRecord(name: string, code: string, answer: number): MathQAPythonRecord {
  return {
    task_id: 0, split: "test", text: `# ${name}`, code, dsl_code: `${name}(n0,n1,n2)|`, reasoning: "", answer, gold: answer,
    problem: name, options: "", correct: "a", category: "", annotated_formula: "",
  };
}

describe("dropping, with a reason per problem", () => {
  it("keeps a problem whose DSL and program reproduce the gold value within 1 %", () => {
    const c = convertRecord(record("a shopkeeper sold an article at a discount of 5 % and earned a profit of 31.1 % . profit without discount ?",
      "add(n1,const_100)|subtract(const_100,n0)|multiply(#0,const_100)|divide(#2,#1)|subtract(#3,const_100)|", "38"));
    expect("kept" in c && c.kept).toMatchObject({
      text: "# a shopkeeper sold an article at a discount of 5 % and earned a profit of 31.1 % . profit without discount ? n0 = 5.0 n1 = 31.1",
      code: "n0 = 5.0\nn1 = 31.1\nt0 = n1 + 100.0\nt1 = 100.0 - n0\nt2 = t0 * 100.0\nt3 = t2 / t1\nanswer = t3 - 100.0",
      reasoning: "worked out by hand",
      gold: 38,
    });
    expect("kept" in c && Math.abs(c.kept.answer - 38) < 0.01).toBe(true);
  });
  it("says why each other problem goes", () => {
    const reason = (r: MathQARecord) => {
      const c = convertRecord(r);
      return "dropped" in c ? c.dropped.reason : "kept";
    };
    expect(reason(record("add 2 and 3", "add(n0,n1)|", "none of these", { options: "a ) none of these , b ) also none", correct: "a" }))).toBe("no-numeric-answer");
    expect(reason(record("subtract 2 from 2", "subtract(n0,n1)|", 7))).toBe("zero-or-no-value");
    expect(reason(record("add 2 and 3", "add(n0,n1)|", 0))).toBe("zero-or-no-value");
    expect(reason(record("the smaller of 2 and 3", "min(n0,n1)|", 2))).toBe("zero-or-no-value");
    expect(reason(record("add 2 and 3", "add(n0,n1)|", 5.06))).toBe("dsl-mismatch");
    expect(reason(record("add 2 and 3", "add(n0,n1)|", 5.04))).toBe("kept");
    expect(reason(record("boat 10 and stream 4", "speed_in_still_water(n0,n1)|", 7))).toBe("python-mismatch");
    expect(reason(record("2 over 0 plus 5", "divide(n0,n1)|add(#0,n2)|", 5))).toBe("python-error");
  });
  it("ends the split at a repeated text, as the notebook's epoch does", () => {
    const a = record("add 2 and 3", "add(n0,n1)|", 5);
    const b = record("add 4 and 3", "add(n0,n1)|", 7);
    const c = convertSplit([a, b, a, record("add 1 and 1", "add(n0,n1)|", 2)], "test");
    expect(c.kept.map((k) => [k.task_id, k.answer])).toEqual([[0, 5], [1, 7]]);
    expect(c.counts["repeated-text"]).toBe(2);
    expect(c.drops.map((d) => d.index)).toEqual([2, 3]);
  });
});

describe("the converted MathQA test split", () => {
  const raw = JSON.parse(datasetText("mathqa/test.ongzexuan-normalized.json")) as MathQARecord[];
  const converted = convertSplit(raw, "test");
  const published = datasetText("mathqa/mathqa_python_test.jsonl").trim().split("\n").map((l) => JSON.parse(l) as { task_id: number; text: string; code: string; dsl_code: string; reasoning: string; answer: number });

  it("keeps 1,894 of 2,985 and drops 13 / 36 / 1,042 for the documented reasons", () => {
    expect(converted.total).toBe(2985);
    expect(converted.kept).toHaveLength(1894);
    expect(converted.counts).toEqual({ "no-numeric-answer": 13, "zero-or-no-value": 36, "dsl-mismatch": 1042, "python-mismatch": 0, "python-error": 0, "repeated-text": 0 });
    expect(converted.drops).toHaveLength(2985 - 1894);
  });

  it("reproduces 1,879 of the paper's 1,883 published records exactly (text, code, DSL, rationale; answer to 1e-12)", () => {
    const mine = new Map(converted.kept.map((r) => [r.text, r]));
    let same = 0;
    const missing: number[] = [];
    for (const p of published) {
      const m = mine.get(p.text);
      if (!m) {
        missing.push(p.task_id);
        continue;
      }
      expect({ code: m.code, dsl: m.dsl_code, reasoning: m.reasoning }).toEqual({ code: p.code, dsl: p.dsl_code, reasoning: p.reasoning });
      expect(Math.abs(m.answer - p.answer)).toBeLessThanOrEqual(1e-12 * Math.abs(p.answer));
      same++;
    }
    expect(same).toBe(1879);
    // The option normaliser's doing (README): 3 lost signs and one option rewritten as 1000000.
    expect(missing).toEqual([74, 433, 1553, 1685]);
  });

  it("is what set-up wrote: the manifest-pinned file parses to the same 1,894 tasks", async () => {
    const def = builtinDataset("mathqa-python")!;
    const { tasks } = await loadBuiltinDataset(def, datasetBytes(def.file));
    expect(tasks).toHaveLength(1894);
    expect(tasks.every((t) => t.format === "mathqa" && t.split === "test" && typeof t.answer === "number")).toBe(true);
    const t0 = tasks[0]!;
    expect(t0).toMatchObject({ id: "0", answer: 38, tests: [], hiddenTests: [] });
    expect(Object.keys(t0.extra!)).toEqual(["Problem (MathQA)", "DSL program (MathQA linear_formula)", "Python program (MathQA-Python)", "Rationale", "Options and gold answer"]);
    expect(tasks.map((t) => t.text)).toEqual(converted.kept.map((r) => r.text));
    // 28 programs use SciPy; their reference runs with the stand-in and prompts show the original.
    const scipy = tasks.filter((t) => t.reference.includes(SCIPY_STANDIN));
    expect(scipy).toHaveLength(28);
    for (const t of scipy) expect(publishedProgram(t.reference)).toBe(t.extra!["Python program (MathQA-Python)"]);
  });

  it("rejects a damaged file line by line", () => {
    const good = JSON.stringify({ ...fakeRecord("add", "answer = 1", 1) });
    const bad = JSON.stringify({ ...fakeRecord("add", "x = 1", 1), split: "dev", answer: "1" });
    expect(() => parseMathQAPythonJsonl(`${good}\n${bad}\n`)).toThrow(InvalidTaskFileError);
    expect(() => parseMathQAPythonJsonl(`${good}\n${bad}\n`)).toThrow(/line 2, field "answer"/);
  });
});

describe("replaying the reference programs in Python", () => {
  let pool: PythonPool;
  beforeAll(() => {
    pool = createNodePool({ size: 1 });
  });
  afterAll(async () => {
    await pool.close();
  });

  it("scores 100 % on the converted test split (1 % relative tolerance)", async () => {
    const def = builtinDataset("mathqa-python")!;
    const { tasks } = await loadBuiltinDataset(def, datasetBytes(def.file));
    const report = await runGold(pool, tasks, { timeoutMs: 10_000 });
    expect(report.failures).toEqual([]);
    expect(report.passed).toBe(1894);
  }, 600_000);

  it("fails a program whose answer is 2 % off, and one that leaves no answer", async () => {
    const task = mathqaTask(fakeRecord("add", "n0 = 2.0\nanswer = n0 * 50.0", 100));
    const pass = await pool.run(programForTask(task, "answer = 100.9"), { timeoutMs: 10_000 });
    const off = await pool.run(programForTask(task, "answer = 102.0"), { timeoutMs: 10_000 });
    const tight = await pool.run(programForTask(task, "answer = 100.9", { mathqaRtol: 0.001 }), { timeoutMs: 10_000 });
    const none = await pool.run(programForTask(task, "x = 100.0"), { timeoutMs: 10_000 });
    expect([pass.kind, off.kind, tight.kind, none.kind]).toEqual(["passed", "failed", "failed", "error"]);
    expect(MATHQA_RTOL).toBe(0.01);
  });
});

describe("the MathQA prompt", () => {
  const def = builtinDataset("mathqa-python")!;
  const tasks = def.parse(datasetText(def.file));
  const byId = new Map(tasks.map((t) => [t.id, t]));

  it("shows each example as the problem comment then its program, and ends with the asked problem's comment", () => {
    const spec = defaultMathqaPromptSpec();
    const shots = ["0", "1", "2"].map((id) => byId.get(id)!);
    const target = byId.get("10")!;
    const { prompt, stop } = renderMathqaPrompt(target, shots);
    expect(prompt.kind).toBe("completion");
    const text = prompt.kind === "completion" ? prompt.text : "";
    expect(text.startsWith("# a shopkeeper sold an article offering a discount of 5 %")).toBe(true);
    expect(text).toContain("t3 = t2 / t1\nanswer = t3 - 100.0\n\n# what will be the difference");
    expect(text.endsWith(`\n\n${target.text}\n`)).toBe(true);
    expect(text.split("\nanswer =").length - 1).toBe(3);
    expect(stop).toEqual(["\n\n#"]);
    expect(spec).toMatchObject({ template: "mathqa", shots: 3, testsShown: 0 });
  });

  it("shows a SciPy example as published (import scipy), not with the sandbox's stand-in", () => {
    const scipyTask = tasks.find((t) => t.reference.includes(SCIPY_STANDIN))!;
    const { prompt } = renderMathqaPrompt(byId.get("10")!, [scipyTask]);
    const text = prompt.kind === "completion" ? prompt.text : "";
    expect(text).toContain("import scipy\n");
    expect(text).not.toContain("stand-in");
    expect(runnableProgram(publishedProgram(scipyTask.reference))).toBe(scipyTask.reference);
  });

  it("refuses tasks that are not MathQA-Python", () => {
    const mbpp: Task = { id: "11", dataset: "mbpp", split: "test", format: "assert", text: "x", tests: [], hiddenTests: [], setup: "", reference: "" };
    expect(mathqaPromptProblems([byId.get("0")!])).toEqual([]);
    expect(mathqaPromptProblems([mbpp])[0]).toMatch(/does not fit task\(s\) 11/);
  });
});

describe("answers from Python and the gold tolerance", () => {
  it("programs built from records keep the rtol of the notebook (1 %)", () => {
    const near = convertRecord(record("add 2 and 3", "add(n0,n1)|", 5.049));
    const far = convertRecord(record("add 2 and 3", "add(n0,n1)|", 5.051));
    expect(["kept" in near, "kept" in far]).toEqual([true, false]);
    expect("kept" in convertRecord(record("add 2 and 3", "add(n0,n1)|", 5.051), 0.02)).toBe(true);
  });
});

describe("set-up (scripts/mathqa.mjs)", () => {
  /** A ZIP archive built by hand: stored and deflated entries, as zip tools write them. */
  function zip(entries: [string, string, "stored" | "deflated"][]): Buffer {
    const locals: Buffer[] = [];
    const centrals: Buffer[] = [];
    let offset = 0;
    for (const [name, text, how] of entries) {
      const raw = Buffer.from(text, "utf8");
      const data = how === "stored" ? raw : deflateRawSync(raw);
      const nameBytes = Buffer.from(name, "utf8");
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4);
      local.writeUInt16LE(how === "stored" ? 0 : 8, 8);
      local.writeUInt32LE(data.length, 18);
      local.writeUInt32LE(raw.length, 22);
      local.writeUInt16LE(nameBytes.length, 26);
      const central = Buffer.alloc(46);
      central.writeUInt32LE(0x02014b50, 0);
      central.writeUInt16LE(20, 4);
      central.writeUInt16LE(20, 6);
      central.writeUInt16LE(how === "stored" ? 0 : 8, 10);
      central.writeUInt32LE(data.length, 20);
      central.writeUInt32LE(raw.length, 24);
      central.writeUInt16LE(nameBytes.length, 28);
      central.writeUInt32LE(offset, 42);
      locals.push(local, nameBytes, data);
      centrals.push(central, nameBytes);
      offset += local.length + nameBytes.length + data.length;
    }
    const cd = Buffer.concat(centrals);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(entries.length, 8);
    end.writeUInt16LE(entries.length, 10);
    end.writeUInt32LE(cd.length, 12);
    end.writeUInt32LE(offset, 16);
    return Buffer.concat([...locals, cd, end]);
  }

  const split = (n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => record(`add ${i + 1} and 3`, "add(n0,n1)|", i + 4)).concat([record("add 2 and 3", "add(n0,n1)|", 9)]));
  const officialZip = zip([
    ["MathQA/", "", "stored"],
    ["__MACOSX/MathQA/._train.json", "junk", "stored"],
    ["MathQA/train.json", split(3), "deflated"],
    ["MathQA/dev.json", split(2), "stored"],
    ["MathQA/test.json", split(1), "deflated"],
    ["MathQA/challenge_test.json", "[]", "deflated"],
  ]);

  let dir: string;
  let server: Server;
  let base: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "sp-mathqa-"));
    mkdirSync(join(dir, "public", "datasets"), { recursive: true });
    copyFileSync(join(repoRoot, "public", "datasets", "manifest.json"), join(dir, "public", "datasets", "manifest.json"));
    server = createServer((req, res) => {
      if (req.url === "/MathQA.zip") res.writeHead(200, { "content-type": "application/zip" }).end(officialZip);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads stored and deflated ZIP entries and finds the split files under a folder", () => {
    const files = unzip(officialZip);
    expect(files.get("MathQA/dev.json")!.toString()).toBe(split(2));
    expect(files.get("MathQA/train.json")!.toString()).toBe(split(3));
    expect(officialSplits(files).validation).toHaveLength(3);
    expect(() => unzip(Buffer.from("not a zip at all, just some text to scan"))).toThrow(/not a ZIP archive/);
    expect(() => officialSplits(unzip(zip([["test.json", "[]", "stored"]])), "https://example.org/x.zip")).toThrow(/https:\/\/example.org\/x.zip has no train.json/);
  });

  it("converts the test copy into the manifest-pinned file and prints its size and the drops per reason", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      await placeMathQA({ root: dir, sharedDir: resolve(repoRoot, "..", "shared", "datasets"), say: () => {}, quiet: true });
      const printed = log.mock.calls.map((c) => String(c[0])).join("\n");
      expect(printed).toContain("test: 2,985 MathQA problems → 1,894 kept; the paper has 1,883 (+11); dropped 13 no-numeric-answer, 36 zero-or-no-value, 1042 dsl-mismatch");
      const written = readFileSync(join(dir, "public", "datasets", "mathqa-python.jsonl"));
      expect(written.equals(Buffer.from(datasetBytes("mathqa-python.jsonl")))).toBe(true);
    } finally {
      log.mockRestore();
    }
  });

  it("converts train, validation and test from the official zip when it can be downloaded", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      expect(await placeOfficial({ root: dir, say: () => {}, url: `${base}/MathQA.zip` })).toBe(true);
      const printed = log.mock.calls.map((c) => String(c[0])).join("\n");
      // Each split's last hand-made problem has a wrong gold value (9 for 2 + 3).
      expect(printed).toContain(`converted from ${base}/MathQA.zip (6 records`);
      expect(printed).toContain("train: 4 MathQA problems → 3 kept; the paper has 19,209 (-19206); dropped 1 dsl-mismatch");
      expect(printed).toContain("validation: 3 MathQA problems → 2 kept");
      const lines = readFileSync(join(dir, "public", "datasets", "mathqa-python-official.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as MathQAPythonRecord);
      expect(lines.map((r) => `${r.split}/${r.task_id}`)).toEqual(["train/0", "train/1", "train/2", "validation/0", "validation/1", "test/0"]);
      expect(parseMathQAPythonJsonl(lines.map((r) => JSON.stringify(r)).join("\n")).map((t) => t.id)).toEqual(["train/0", "train/1", "train/2", "validation/0", "validation/1", "0"]);
    } finally {
      log.mockRestore();
    }
  });

  it("says which URL failed, and goes on, when the official zip cannot be downloaded", async () => {
    rmSync(join(dir, "public", "datasets", "mathqa-python-official.jsonl"), { force: true });
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      expect(await placeOfficial({ root: dir, say: () => {}, url: `${base}/missing.zip` })).toBe(false);
      const message = String(warn.mock.calls[0]?.[0]);
      expect(message).toContain(`download from ${base}/missing.zip failed: HTTP 404`);
      expect(message).toContain("every other dataset are unaffected");
      expect(existsSync(join(dir, "public", "datasets", "mathqa-python-official.jsonl"))).toBe(false);
    } finally {
      warn.mockRestore();
    }
  });
});
