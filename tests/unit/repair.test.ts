import "fake-indexeddb/auto";
import { openDB } from "idb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Completion, GenerateRequest } from "../../src/lib/engines/types.ts";
import { createNodePool } from "../../src/lib/python/node.ts";
import type { PythonPool } from "../../src/lib/python/pool.ts";
import type { Verdict } from "../../src/lib/python/types.ts";
import {
  autoFeedback,
  continueDialog,
  DialogStateError,
  newDialog,
  repairPrompt,
  solvedAtTurn,
  solvedByTurn,
  takeTurn,
  type DialogDeps,
  type RepairDialog,
  type RepairSettings,
} from "../../src/lib/repair/dialog.ts";
import { getDialog, listDialogs, saveDialog } from "../../src/lib/repair/store.ts";
import { getPredictionRun, savePredictionRun } from "../../src/lib/predict/store.ts";
import { openPlaygroundDB } from "../../src/lib/runs/db.ts";
import { parseMbppJsonl } from "../../src/lib/tasks/formats.ts";
import { datasetText } from "../support/datasets.ts";

const mbpp = parseMbppJsonl(datasetText("mbpp.jsonl"));
const t11 = mbpp.find((t) => t.id === "11")!;

const WRONG_1 = "def remove_Occ(s, ch):\n    return s";
const WRONG_2 = "def remove_Occ(s, ch):\n    return s.replace(ch, '', 1)";
const RIGHT = "def remove_Occ(s, ch):\n    s = s.replace(ch, '', 1)\n    i = s.rfind(ch)\n    return s if i < 0 else s[:i] + s[i + 1:]";

/** A scripted engine (the test double for a model): answers in order, records what it was asked. */
function scriptedEngine(answers: string[], wrap: (code: string) => string) {
  const asked: GenerateRequest[] = [];
  return {
    asked,
    generate(req: GenerateRequest): Promise<Completion> {
      const code = answers[asked.length] ?? answers.at(-1)!;
      asked.push(req);
      return Promise.resolve({ text: wrap(code), finishReason: "stop", usage: { promptTokens: 1, completionTokens: 1 }, timings: { totalMs: 1 }, seed: req.seed });
    },
  };
}

const settings = (form: "completion" | "chat", maxTurns = 5): RepairSettings => ({ form, maxTurns, temperature: 0, maxTokens: 256, seed: 3, timeoutMs: 10_000 });
const engineDescription = { kind: "openai" as const, modelId: "scripted", libraries: {} };

let pool: PythonPool;
beforeAll(async () => {
  pool = createNodePool({ size: 1 });
  await pool.ready();
}, 120_000);
afterAll(() => pool.close());

function deps(engine: DialogDeps["engine"], saved: RepairDialog[][]): DialogDeps {
  return { engine, sandbox: pool, task: t11, dataset: mbpp, save: (d) => Promise.resolve(void saved.push(structuredClone(d.turns) as never)) };
}

describe("a human-feedback dialog (chat form)", () => {
  it("waits for feedback after each failing program, carries history, and stops when solved at turn 3", async () => {
    const engine = scriptedEngine([WRONG_1, WRONG_2, RIGHT], (c) => "Here you go:\n```python\n" + c + "\n```\n");
    const saved: RepairDialog[][] = [];
    const d = newDialog({ id: "d1", dataset: "mbpp", taskId: "11", mode: "human", engine: engineDescription, settings: settings("chat") });
    await continueDialog(deps(engine, saved), d);
    expect(d.status).toBe("awaiting-feedback");
    expect(d.turns).toHaveLength(1);
    expect(d.turns[0]!.verdict.kind).toBe("failed");
    // Only the three shown asserts are run; the challenge tests stay out of the dialog.
    expect(d.turns[0]!.verdict.tests).toHaveLength(3);

    await expect(takeTurn(deps(engine, saved), d, "  ")).rejects.toBeInstanceOf(DialogStateError);
    expect(engine.asked).toHaveLength(1);

    await continueDialog(deps(engine, saved), d, "Only the first and the last occurrence should go.");
    expect(d.status).toBe("awaiting-feedback");
    await continueDialog(deps(engine, saved), d, "Now the last one is left in.");
    expect(d.status).toBe("solved");
    expect(d.turns.map((t) => t.verdict.kind)).toEqual(["failed", "failed", "passed"]);
    expect(solvedAtTurn(d)).toBe(3);
    expect(saved).toHaveLength(3);

    const third = engine.asked[2]!.prompt;
    if (third.kind !== "chat") throw new Error("expected chat");
    expect(third.messages.map((m) => m.role)).toEqual(["user", "assistant", "user", "assistant", "user"]);
    expect(third.messages[1]!.content).toContain(WRONG_1);
    expect(third.messages[2]!.content).toContain("this test failed: assert remove_Occ(\"hello\",\"l\") == \"heo\"");
    expect(third.messages[2]!.content).toContain("Only the first and the last occurrence should go.");
    expect(third.messages[4]!.content).toContain("Now the last one is left in.");
    expect(engine.asked.map((r) => r.seed)).toEqual([3, 4, 5]);

    await expect(continueDialog(deps(engine, saved), d, "more")).rejects.toBeInstanceOf(DialogStateError);
  }, 60_000);
});

describe("automatic feedback (completion form)", () => {
  it("sends the failing assert itself, and stops at maxTurns", async () => {
    const engine = scriptedEngine([WRONG_1], (c) => `${c}\n[DONE]`);
    const d = newDialog({ id: "d2", dataset: "mbpp", taskId: "11", mode: "auto", engine: engineDescription, settings: settings("completion", 3) });
    await continueDialog(deps(engine, []), d);
    expect(d.status).toBe("exhausted");
    expect(d.turns).toHaveLength(3);
    expect(d.turns[0]!.feedback).toBe('The test `assert remove_Occ("hello","l") == "heo"` failed. Fix the code so that it passes.');
    const second = engine.asked[1]!.prompt;
    if (second.kind !== "completion") throw new Error("expected completion");
    // The paper's 3-shot prompt, then the first program, its result, the feedback and [BEGIN] again.
    expect(second.text.startsWith("You are an expert Python programmer, and here is your task: Write a function to find the similar elements")).toBe(true);
    expect(second.text.endsWith(`${WRONG_1}\n[DONE]\nThe code was tested: this test failed: assert remove_Occ("hello","l") == "heo"\nFeedback: ${d.turns[0]!.feedback}\nRevise the code.\n[BEGIN]\n`)).toBe(true);
    expect(engine.asked[0]!.stop).toEqual(["[DONE]"]);
  }, 60_000);

  it("names the error when a test raises", () => {
    const v: Verdict = {
      kind: "error", shownPassed: false, hiddenPassed: true, failedTest: 0,
      error: { type: "NameError", message: "name 'x' is not defined", line: 2, traceback: "" },
      tests: [{ index: 0, source: "assert f(1) == 2", hidden: false, status: "error" }], stdout: "", stderr: "", truncated: false, durationMs: 1, timeoutMs: 1000,
    };
    expect(autoFeedback(v)).toBe("Running the test `assert f(1) == 2` raised NameError: name 'x' is not defined. Fix the code so that it passes.");
  });

  it("an aborted request leaves the dialog stopped and continuable", async () => {
    const ctl = new AbortController();
    ctl.abort();
    const engine = {
      generate: (_r: GenerateRequest, signal?: AbortSignal): Promise<Completion> => Promise.reject(signal?.aborted ? new DOMException("x", "AbortError") : new Error("no")),
    };
    const d = newDialog({ id: "d3", dataset: "mbpp", taskId: "11", mode: "auto", engine: engineDescription, settings: settings("chat") });
    await continueDialog(deps(engine, []), d, undefined, ctl.signal);
    expect(d.status).toBe("stopped");
    expect(d.turns).toHaveLength(0);
  });
});

describe("summary and storage", () => {
  const dialog = (id: string, mode: "human" | "auto", kinds: Verdict["kind"][]): RepairDialog => ({
    ...newDialog({ id, dataset: "mbpp", taskId: "11", mode, engine: engineDescription, settings: settings("chat") }, Number(id.replace(/\D/g, ""))),
    turns: kinds.map((kind) => ({ raw: "", code: "", finishReason: "stop", createdAt: 0, verdict: { kind, shownPassed: kind === "passed", hiddenPassed: true, tests: [], stdout: "", stderr: "", truncated: false, durationMs: 0, timeoutMs: 1 } })),
  });

  it("gives the share solved by turn t per feedback mode (Figure 14)", () => {
    const ds = [dialog("h1", "human", ["passed"]), dialog("h2", "human", ["failed", "failed", "passed"]), dialog("h3", "human", ["failed"]), dialog("h4", "human", []), dialog("a1", "auto", ["failed", "passed"])];
    const [human, auto] = solvedByTurn(ds, 4);
    expect(human).toEqual({ mode: "human", dialogs: 3, byTurn: [1 / 3, 1 / 3, 2 / 3, 2 / 3] });
    expect(auto).toEqual({ mode: "auto", dialogs: 1, byTurn: [0, 1, 1, 1] });
  });

  it("upgrades a v2 database to v3 with dialogs and predictions, keeping runs; dialogs round-trip", async () => {
    const name = `repair-${Math.random()}`;
    const v2 = await openPlaygroundDB(name, 2);
    expect([...v2.objectStoreNames].sort()).toEqual(["customSets", "runs", "samples", "verdicts"]);
    await v2.put("customSets", { id: "custom:a", name: "a", fileName: "a.jsonl", sha256: "s", shape: "mbpp", createdAt: 1, taskCount: 0, tasks: [] });
    v2.close();
    const v3 = await openPlaygroundDB(name, 3);
    expect([...v3.objectStoreNames].sort()).toEqual(["customSets", "dialogs", "predictions", "runs", "samples", "verdicts"]);
    expect((await v3.get("customSets", "custom:a"))?.name).toBe("a");
    await saveDialog(v3, dialog("h1", "human", ["failed"]));
    await saveDialog(v3, dialog("h2", "human", ["passed"]));
    expect((await listDialogs(v3)).map((d) => d.id)).toEqual(["h2", "h1"]);
    expect((await getDialog(v3, "h1"))?.turns[0]?.verdict.kind).toBe("failed");
    await savePredictionRun(v3, { id: "p", createdAt: 1, engine: engineDescription, spec: { dataset: "mbpp", datasetSha256: "", taskIds: [], variants: ["code"], form: "chat", temperature: 0, maxTokens: 1, seed: 0, timeoutMs: 1 }, status: "done", samples: [] });
    expect((await getPredictionRun(v3, "p"))?.status).toBe("done");
    v3.close();
    const raw = await openDB(name);
    expect(raw.version).toBe(3);
    raw.close();
  });
});

describe("repairPrompt", () => {
  it("is the paper's MBPP prompt on the first turn of the completion form", () => {
    const { prompt } = repairPrompt({ ...t11, hiddenTests: [] }, mbpp, "completion", []);
    expect(prompt.kind === "completion" && prompt.text.endsWith('assert remove_Occ("PHP","P") == "H"\n[BEGIN]\n')).toBe(true);
  });
});
