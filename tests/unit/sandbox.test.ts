import { existsSync, rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { programForTask, type TestProgram } from "../../src/lib/eval/program.ts";
import { runGold } from "../../src/lib/eval/gold.ts";
import { createNodePool, spawnNodeWorker } from "../../src/lib/python/node.ts";
import { PythonPool } from "../../src/lib/python/pool.ts";
import type { Verdict } from "../../src/lib/python/types.ts";
import { parseHumanEvalJsonl, parseMbppJsonl, parseSanitizedJson } from "../../src/lib/tasks/formats.ts";
import { datasetText } from "../support/datasets.ts";
import { CANARY, HOSTILE_PROGRAMS, HOSTILE_TIMEOUT_MS } from "../support/hostile.ts";

const program = (code: string, tests: string[] = [], hidden: string[] = []): TestProgram => ({
  code,
  setup: "",
  tests: [...tests.map((source) => ({ source, hidden: false })), ...hidden.map((source) => ({ source, hidden: true }))],
});

let pool: PythonPool;
beforeAll(async () => {
  pool = createNodePool({ size: 1 });
  await pool.ready();
});
afterAll(() => pool.close());

const run = (p: TestProgram, timeoutMs = 20_000, signal?: AbortSignal): Promise<Verdict> => pool.run(p, { timeoutMs, signal });

describe("verdicts", () => {
  it("passed, with stdout and every test recorded", async () => {
    const v = await run(program("def add(a, b):\n    print('adding', a, b)\n    return a + b", ["assert add(1, 2) == 3", "assert add(0, 0) == 0"]));
    expect(v.kind).toBe("passed");
    expect(v.tests.map((t) => t.status)).toEqual(["passed", "passed"]);
    expect(v.stdout).toBe("adding 1 2\nadding 0 0\n");
    expect(v.timeoutMs).toBe(20_000);
    expect(v.durationMs).toBeGreaterThan(0);
  });

  it("failed names the first failing assert; later tests still run", async () => {
    const v = await run(program("def add(a, b):\n    return a - b", ["assert add(0, 0) == 0", "assert add(1, 2) == 3", "assert add(2, 2) == 4"]));
    expect(v.kind).toBe("failed");
    expect(v.failedTest).toBe(1);
    expect(v.tests.map((t) => t.status)).toEqual(["passed", "failed", "failed"]);
    expect(v.error?.type).toBe("AssertionError");
  });

  it("error carries type, message, the candidate's line and a traceback", async () => {
    const v = await run(program("def f(s):\n    x = 1\n    return s[10]", ["assert f('abc') == 'c'"]));
    expect(v.kind).toBe("error");
    expect(v.error).toMatchObject({ type: "IndexError", message: "string index out of range", line: 3 });
    expect(v.error?.traceback).toContain('File "<candidate>", line 3, in f');
    expect(v.error?.traceback).not.toContain("_sp_");
  });

  it("syntax_error with its line; no test runs", async () => {
    const v = await run(program("def f(:\n    pass", ["assert f() is None"]));
    expect(v.kind).toBe("syntax_error");
    expect(v.error).toMatchObject({ type: "SyntaxError", line: 1 });
    expect(v.tests[0]!.status).toBe("not_run");
  });

  it("an error at the candidate's top level is an error before any test", async () => {
    const v = await run(program("import nonexistent_module_xyz", ["assert True"]));
    expect(v.kind).toBe("error");
    expect(v.error?.type).toBe("ModuleNotFoundError");
    expect(v.shownPassed).toBe(false);
  });

  it("shown and hidden tests are judged apart", async () => {
    const v = await run(program("def sq(x):\n    return 4 if x == 2 else 0", ["assert sq(2) == 4"], ["assert sq(3) == 9"]));
    expect(v.kind).toBe("failed");
    expect(v.shownPassed).toBe(true);
    expect(v.hiddenPassed).toBe(false);
    expect(v.tests[1]!.hidden).toBe(true);
  });

  it("stdout is capped with a truncated flag", async () => {
    const v = await run(program("for i in range(20000):\n    print('line', i, 'x' * 10)"));
    expect(v.kind).toBe("passed");
    expect(v.truncated).toBe(true);
    expect(v.stdout.length).toBe(64 * 1024);
  });

  it("a timeout is recorded with the limit used, and the next program runs", async () => {
    const v = await run(program("while True:\n    pass"), 500);
    expect(v.kind).toBe("timeout");
    expect(v.timeoutMs).toBe(500);
    expect(v.stopped).toBeUndefined();
    expect((await run(program("print(1)"))).kind).toBe("passed");
  });

  it("Stop (an aborted signal) ends a program as stopped", async () => {
    const ctl = new AbortController();
    const pending = run(program("while True:\n    pass"), 60_000, ctl.signal);
    setTimeout(() => ctl.abort(), 300);
    const v = await pending;
    expect(v.kind).toBe("timeout");
    expect(v.stopped).toBe(true);
  });

  it("programs queue in order, each in fresh globals", async () => {
    const results = await Promise.all([run(program("x = 41\nprint(x + 1)")), run(program("print('x' in globals())"))]);
    expect(results.map((r) => r.stdout)).toEqual(["42\n", "False\n"]);
  });

  it("modules a program imported are dropped afterwards", async () => {
    await run(program("import fractions, statistics"));
    const v = await run(program("import sys\nprint('fractions' in sys.modules, 'statistics' in sys.modules)"));
    expect(v.stdout).toBe("False False\n");
  });
});

describe("hostile programs (Node)", () => {
  const corpus = HOSTILE_PROGRAMS.filter((h) => h.env !== "browser");
  it(`the corpus has at least 40 programs (${HOSTILE_PROGRAMS.length} in all, ${corpus.length} here)`, () => {
    expect(HOSTILE_PROGRAMS.length).toBeGreaterThanOrEqual(40);
  });
  beforeAll(() => rmSync("/tmp/sp-hostile-marker", { force: true }));
  for (const h of corpus) {
    it(`${h.name}: contained, and the next program starts clean`, async () => {
      const v = await run(program(h.code), HOSTILE_TIMEOUT_MS);
      expect(h.expect, `${h.name}: ${v.kind} ${v.error?.type}: ${v.error?.message}`).toContain(v.kind);
      if (h.error) expect(`${v.error?.type}: ${v.error?.message}`).toContain(h.error);
      const canary = await run(program(CANARY));
      expect(canary.error?.message ?? "", "canary").toBe("");
      expect(canary.kind).toBe("passed");
      expect(canary.stdout).toBe("clean\n");
      expect(existsSync("/tmp/sp-hostile-marker")).toBe(false);
    });
  }
});

describe("the pool without an interrupt buffer (no cross-origin isolation)", () => {
  it("still ends runaways by terminating the worker, and keeps working", async () => {
    const plain = new PythonPool(() => ({ ...spawnNodeWorker(), interruptBuffer: undefined, interrupt: () => false }), { size: 1 });
    try {
      const v = await plain.run(program("while True:\n    pass"), { timeoutMs: 300 });
      expect(v.kind).toBe("timeout");
      expect(v.notes?.join(" ")).toContain("terminated");
      expect((await plain.run(program("print(2)"), { timeoutMs: 20_000 })).stdout).toBe("2\n");
      expect(plain.stats.interruptible).toBe(false);
      expect(plain.stats.fromSnapshot).toBeGreaterThan(0);
    } finally {
      plain.close();
    }
  });
});

describe("workers that fail to start", () => {
  // Fault injection around real workers: the first N inits fail as a failed download would.
  const flaky = (failures: number) => {
    let left = failures;
    return () => {
      const h = spawnNodeWorker();
      if (left-- <= 0) return h;
      return { ...h, api: { ...h.api, init: () => Promise.reject(new Error("pyodide.asm.wasm: HTTP 503")) } };
    };
  };

  it("a failed first start is retried by a replacement", async () => {
    const p = new PythonPool(flaky(1), { size: 1, spares: 0 });
    try {
      await p.ready();
      expect((await p.run(program("print(3)"), { timeoutMs: 20_000 })).stdout).toBe("3\n");
    } finally {
      p.close();
    }
  });

  it("after three failures in a row the pool says so and rejects work", async () => {
    const p = new PythonPool(flaky(99), { size: 1, spares: 0 });
    try {
      await expect(p.ready()).rejects.toThrow(/could not start 3 times in a row \(last error: pyodide.asm.wasm: HTTP 503\)/);
      await expect(p.run(program("print(1)"), { timeoutMs: 1000 })).rejects.toThrow(/could not start/);
    } finally {
      p.close();
    }
  });
});

describe("gold: every reference solution passes in Node", () => {
  const sets = [
    { name: "MBPP", tasks: parseMbppJsonl(datasetText("mbpp.jsonl")), n: 974 },
    { name: "sanitized MBPP", tasks: parseSanitizedJson(datasetText("sanitized-mbpp.json")), n: 427 },
    { name: "HumanEval", tasks: parseHumanEvalJsonl(datasetText("HumanEval.jsonl")), n: 164 },
  ];
  for (const set of sets) {
    it(`${set.name}: ${set.n}/${set.n}`, async () => {
      const report = await runGold(pool, set.tasks, { timeoutMs: 30_000 });
      expect(report.failures).toEqual([]);
      expect(report.passed).toBe(set.n);
    }, 120_000);
  }
  it("MBPP's challenge tests run as hidden tests", async () => {
    const task = parseMbppJsonl(datasetText("mbpp.jsonl")).find((t) => t.id === "11")!;
    const v = await run(programForTask(task, task.reference));
    expect(v.tests.filter((t) => t.hidden).length).toBe(task.hiddenTests.length);
    expect(task.hiddenTests.length).toBeGreaterThan(0);
    expect(v.hiddenPassed).toBe(true);
  });
});
