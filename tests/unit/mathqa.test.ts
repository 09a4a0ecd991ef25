import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
import { datasetBytes, datasetText } from "../support/datasets.ts";

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

  it("gives, for all ops, the value real Python gives (run in Pyodide, relative 1e-12)", async () => {
    const tasks = DSL_OPS.map((name) => {
      const { code, value } = program(name);
      expect(value, name).not.toBeNull();
      return { name, code, task: { ...mathqaTask(fakeRecord(name, code, value!)), answer: value! } };
    });
    const verdicts = await Promise.all(tasks.map(({ task }) => pool.run(programForTask(task, task.reference, { mathqaRtol: 1e-12 }), { timeoutMs: 10_000 })));
    const failed = verdicts.flatMap((v, i) => (v.kind === "passed" ? [] : [`${tasks[i]!.name}: ${v.kind} ${v.error?.type ?? ""} ${v.error?.message ?? ""}\n${tasks[i]!.code}`]));
    expect(failed).toEqual([]);
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
