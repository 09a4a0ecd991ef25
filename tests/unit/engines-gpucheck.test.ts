import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GPU_CHECK_SAMPLING, GPU_CHECK_TASK_IDS, runGpuCheck, summariseGpuCheck, type GpuCheckRow } from "../../src/lib/engines/gpucheck.ts";
import { OpenAICompatibleEngine } from "../../src/lib/engines/openai.ts";
import { builtinDataset, loadBuiltinDataset } from "../../src/lib/tasks/catalog.ts";
import type { Task } from "../../src/lib/tasks/types.ts";
import { programForTask } from "../../src/lib/eval/program.ts";
import type { TestProgram } from "../../src/lib/eval/program.ts";
import type { Verdict } from "../../src/lib/python/types.ts";
import { loadPyodide, type PyodideInterface } from "pyodide";
import { datasetBytes } from "../support/datasets.ts";
import { startOpenAITestDouble, type OpenAITestDouble } from "../support/openai-test-double.ts";

/**
 * Runs a test program in Pyodide in this process: real Python, none of the sandbox pool's
 * isolation, limits or verdict details (the pool, src/lib/python/node.ts, did not start under
 * vitest when this was written). Enough to tell passed / failed / error apart.
 */
function runInPyodide(py: PyodideInterface, program: TestProgram): Verdict {
  const base = { shownPassed: false, hiddenPassed: false, tests: [], stdout: "", stderr: "", truncated: false, durationMs: 0, timeoutMs: 0 };
  const globals = py.globals.get("dict")();
  try {
    py.runPython(`${program.code}\n${program.setup}`, { globals });
    for (const [i, t] of program.tests.entries()) {
      try {
        py.runPython(t.source, { globals });
      } catch (e) {
        const kind = String((e as { type?: string }).type) === "AssertionError" ? "failed" : "error";
        return { ...base, kind, failedTest: i, tests: program.tests.map((x, j) => ({ index: j, source: x.source, hidden: x.hidden, status: j < i ? "passed" : j === i ? kind : "not_run" })) };
      }
    }
    return { ...base, kind: "passed", shownPassed: true, hiddenPassed: true };
  } catch (e) {
    return { ...base, kind: "error", error: { type: String((e as { type?: string }).type), message: String((e as Error).message), line: null, traceback: "" } };
  } finally {
    globals.destroy();
  }
}

describe("the GPU check over a real engine and real Python", () => {
  let server: OpenAITestDouble;
  let py: PyodideInterface;
  let tasks: Task[];
  beforeAll(async () => {
    const def = builtinDataset("mbpp")!;
    const mbpp = await loadBuiltinDataset(def, datasetBytes(def.file));
    tasks = GPU_CHECK_TASK_IDS.map((id) => mbpp.tasks.find((t) => t.id === id)!);
    // A stand-in for the model (a protocol test double of a server): answers each task's reference
    // solution, except a wrong one for task 12, then the paper's [DONE] marker and some rambling.
    server = await startOpenAITestDouble({
      cors: true,
      llamaCppTimings: true,
      script: (body) => {
        const task = tasks.find((t) => t.text === body.prompt)!;
        const code = task.id === "12" ? "def sort_matrix(M):\n    return M\n" : task.reference;
        return { text: `${code}\n[DONE]\nmore text the stop string cuts off` };
      },
    });
    py = await loadPyodide();
  }, 60_000);
  afterAll(() => server.close());

  it("streams five completions, executes them and reports pass/fail and tokens/s", async () => {
    const engine = new OpenAICompatibleEngine({ baseUrl: server.url, model: "coder" });
    const updates: GpuCheckRow[][] = [];
    const rows = await runGpuCheck(
      {
        engine,
        tasks,
        render: (task) => ({ prompt: { kind: "completion", text: task.text }, stop: ["[DONE]"] }),
        extract: (raw) => raw,
        execute: async (task, code) => runInPyodide(py, programForTask(task, code)),
      },
      (r) => updates.push(r),
      new AbortController().signal,
    );
    expect(rows.map((r) => [r.task.id, r.status, r.verdict])).toEqual([
      ["11", "done", "passed"],
      ["12", "done", "failed"],
      ["13", "done", "passed"],
      ["14", "done", "passed"],
      ["15", "done", "passed"],
    ]);
    expect(rows[1]!.verdictDetail).toMatch(/^failed: assert sort_matrix/);
    expect(rows.every((r) => r.tokensPerS === 42.25 && r.prefillTokensPerS === 512.5 && !r.raw.includes("[DONE]"))).toBe(true);
    expect(summariseGpuCheck(rows)).toEqual({ passed: 4, done: 5, meanTokensPerS: 42.25 });
    // Greedy, bounded, every parameter explicit.
    expect(server.generationBodies()[0]).toMatchObject({ temperature: 0, top_p: 1, max_tokens: 512, seed: 0, stop: ["[DONE]"] });
    expect(GPU_CHECK_SAMPLING.repetitionPenalty).toBe(1);
    // The completion grew piece by piece in the rows while it streamed.
    expect(updates.some((u) => u[0]!.status === "generating" && u[0]!.raw.length > 0 && u[0]!.raw.length < rows[0]!.raw.length)).toBe(true);
  }, 60_000);

  it("stops when aborted and marks the rest as not run", async () => {
    const engine = new OpenAICompatibleEngine({ baseUrl: server.url, model: "coder" });
    const ctl = new AbortController();
    const rows = await runGpuCheck(
      {
        engine,
        tasks,
        render: (task) => ({ prompt: { kind: "completion", text: task.text }, stop: ["[DONE]"] }),
        extract: (raw) => raw,
        execute: async (task, code) => {
          ctl.abort();
          return runInPyodide(py, programForTask(task, code));
        },
      },
      () => undefined,
      ctl.signal,
    );
    expect(rows.map((r) => r.status)).toEqual(["done", "failed", "failed", "failed", "failed"]);
    expect(rows[1]!.error).toBe("not run: stopped earlier");
  }, 60_000);
});
