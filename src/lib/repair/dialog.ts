import { isAbortError, type ChatMessage, type Engine, type EngineDescription, type Prompt } from "../engines/types.ts";
import { extractCode } from "../eval/extract.ts";
import { programForTask } from "../eval/program.ts";
import { FENCE_REQUEST, renderPrompt } from "../prompts/render.ts";
import { defaultPromptSpec, type PromptSpec } from "../prompts/types.ts";
import type { Sandbox, Verdict } from "../python/types.ts";
import type { DatasetId, Task } from "../tasks/types.ts";

/**
 * # Repair dialogs (Austin et al. 2021, §5: human-model collaboration)
 *
 * The model proposes a program; the sandbox tests it at once; feedback (a person's words, or in
 * `auto` mode the failing assert and error) goes back with the program and its verdict; the model
 * revises. The dialog ends when the tests pass or after `maxTurns` programs.
 *
 * States: `awaiting-feedback` (human mode, a program failed and turns remain) → a turn is asked
 * for with feedback → `solved` | `exhausted` | `awaiting-feedback` again. Auto mode never waits:
 * {@link continueDialog} loops until solved or exhausted. `stopped` / `failed` say a request was
 * cancelled or broke; such a dialog can be continued.
 *
 * Tests: the task's shown tests only (MBPP's three asserts), as in the paper's dialogs — what
 * the model is shown is what it is judged by, and automatic feedback never reveals a hidden test.
 */

export type FeedbackMode = "human" | "auto";
export type DialogStatus = "awaiting-feedback" | "solved" | "exhausted" | "stopped" | "failed";

export interface RepairTurn {
  /** The model's whole answer. */
  raw: string;
  /** The program that was tested. */
  code: string;
  verdict: Verdict;
  /** The feedback this turn's program received (absent on the last turn until given). */
  feedback?: string;
  finishReason: string;
  createdAt: number;
}

export interface RepairSettings {
  form: "completion" | "chat";
  maxTurns: number;
  temperature: number;
  maxTokens: number;
  seed: number;
  timeoutMs: number;
}

export interface RepairDialog {
  id: string;
  createdAt: number;
  updatedAt: number;
  dataset: DatasetId;
  taskId: string;
  mode: FeedbackMode;
  engine: EngineDescription;
  settings: RepairSettings;
  turns: RepairTurn[];
  status: DialogStatus;
  error?: string;
}

export const DEFAULT_MAX_TURNS = 5;

/** The task as the dialog tests it: its shown asserts only. */
export function dialogTask(task: Task): Task {
  return { ...task, hiddenTests: [] };
}

/** One line on a verdict, for the model (and the person reading the transcript). */
export function verdictSummary(v: Verdict): string {
  if (v.kind === "passed") return "all tests passed.";
  const err = v.error ? `${v.error.type}${v.error.message ? `: ${v.error.message}` : ""}` : "";
  const test = v.failedTest !== undefined ? v.tests[v.failedTest] : undefined;
  if (v.kind === "failed" && test) return `this test failed: ${test.source}${err && v.error?.message ? ` (${v.error.message})` : ""}`;
  if (test) return `this test raised ${err}: ${test.source}`;
  if (v.kind === "syntax_error") return `the code does not compile: ${err}${v.error?.line ? ` (line ${v.error.line})` : ""}`;
  if (v.kind === "timeout") return `the program did not finish within ${Math.round(v.timeoutMs / 1000)} s.`;
  if (v.kind === "resource") return `the program hit the ${v.resource ?? "resource"} limit.`;
  return `the program raised ${err || v.kind}${v.error?.line ? ` (line ${v.error.line})` : ""}.`;
}

/** Automatic feedback: the failing assert and the error, as a person might have pasted them. */
export function autoFeedback(v: Verdict): string {
  const test = v.failedTest !== undefined ? v.tests[v.failedTest] : undefined;
  const err = v.error ? `${v.error.type}${v.error.message ? `: ${v.error.message}` : ""}` : "";
  if (test?.status === "failed") return `The test \`${test.source}\` failed${v.error?.message ? ` (AssertionError: ${v.error.message})` : ""}. Fix the code so that it passes.`;
  if (test) return `Running the test \`${test.source}\` raised ${err}. Fix the code so that it passes.`;
  return `Running the code gave: ${verdictSummary(v)} Fix it.`;
}

function fence(code: string): string {
  return "```python\n" + code + "\n```";
}

/**
 * The prompt for the next turn. Completion form: the paper's 3-shot MBPP prompt, then each
 * earlier program closed by `[DONE]`, its test result and the feedback, and `[BEGIN]` again for
 * the revision. Chat form: the MBPP chat question, then per earlier turn the program as the
 * assistant's answer and the result plus feedback as the user's next message.
 */
export function repairPrompt(task: Task, dataset: readonly Task[], form: "completion" | "chat", history: readonly RepairTurn[]): { prompt: Prompt; stop: string[] } {
  const spec: PromptSpec = form === "completion" ? defaultPromptSpec() : { template: "mbpp-chat", shots: 0, selection: { kind: "fixed", ids: [] }, testsShown: 3 };
  spec.testsShown = Math.min(3, task.tests.length);
  const first = renderPrompt(spec, task, dataset);
  if (first.prompt.kind === "completion") {
    let text = first.prompt.text;
    for (const t of history) {
      text += `${t.code}\n[DONE]\nThe code was tested: ${verdictSummary(t.verdict)}\nFeedback: ${t.feedback ?? ""}\nRevise the code.\n[BEGIN]\n`;
    }
    return { prompt: { kind: "completion", text }, stop: first.stop };
  }
  const messages: ChatMessage[] = [...first.prompt.messages];
  for (const t of history) {
    messages.push({ role: "assistant", content: fence(t.code) });
    messages.push({ role: "user", content: `I tested that code: ${verdictSummary(t.verdict)}\n\nFeedback: ${t.feedback ?? ""}\n\n${FENCE_REQUEST}` });
  }
  return { prompt: { kind: "chat", messages }, stop: first.stop };
}

export interface DialogDeps {
  engine: Pick<Engine, "generate">;
  sandbox: Sandbox;
  /** The dialog's task. */
  task: Task;
  /** Its whole dataset (the completion form's worked examples come from it). */
  dataset: readonly Task[];
  save: (d: RepairDialog) => Promise<void>;
  /** Called after each step so a view can show it before the next request returns. */
  onChange?: (d: RepairDialog) => void;
}

/** Thrown when a step is asked for that the dialog's state does not allow. */
export class DialogStateError extends Error {
  constructor(what: string) {
    super(what);
    this.name = "DialogStateError";
  }
}

export function newDialog(init: Pick<RepairDialog, "id" | "dataset" | "taskId" | "mode" | "engine" | "settings">, now = Date.now()): RepairDialog {
  return { ...init, createdAt: now, updatedAt: now, turns: [], status: "awaiting-feedback" };
}

/** Whether the dialog can take another model turn. */
export function canContinue(d: RepairDialog): boolean {
  return d.status !== "solved" && d.status !== "exhausted" && d.turns.length < d.settings.maxTurns;
}

/** One model turn: ask, extract, test, record. `feedback` goes to the previous turn (required after the first in human mode). */
export async function takeTurn(deps: DialogDeps, d: RepairDialog, feedback?: string, signal?: AbortSignal): Promise<RepairDialog> {
  if (!canContinue(d)) throw new DialogStateError(`Dialog ${d.id} is ${d.status} after ${d.turns.length} turn(s); start a new dialog to try again.`);
  const last = d.turns.at(-1);
  if (last && last.feedback === undefined) {
    const text = d.mode === "auto" ? autoFeedback(last.verdict) : feedback?.trim();
    if (!text) throw new DialogStateError("Write feedback for the model first: what is wrong with its program, in your own words.");
    last.feedback = text;
  }
  const task = dialogTask(deps.task);
  const { prompt, stop } = repairPrompt(task, deps.dataset, d.settings.form, d.turns);
  const seed = d.settings.seed + d.turns.length;
  try {
    const c = await deps.engine.generate(
      { prompt, stop, temperature: d.settings.temperature, topP: 0.95, maxTokens: d.settings.maxTokens, seed, repetitionPenalty: 1 },
      signal,
    );
    if (c.finishReason === "abort") throw new DOMException("stopped", "AbortError");
    if (c.finishReason === "error" && !c.text) throw new Error(c.error ?? "the engine failed without saying why");
    const code = extractCode(c.text, task, d.settings.form).code;
    const verdict = await deps.sandbox.run(programForTask(task, code), { timeoutMs: d.settings.timeoutMs, ...(signal ? { signal } : {}) });
    if (verdict.stopped) throw new DOMException("stopped", "AbortError");
    d.turns.push({ raw: c.text, code, verdict, finishReason: c.finishReason, createdAt: Date.now() });
    d.status = verdict.kind === "passed" ? "solved" : d.turns.length >= d.settings.maxTurns ? "exhausted" : "awaiting-feedback";
    delete d.error;
  } catch (e) {
    if (isAbortError(e)) d.status = "stopped";
    else {
      d.status = "failed";
      d.error = e instanceof Error ? e.message : String(e);
    }
    // The feedback stays with the turn it was given for: continuing sends it again.
  }
  d.updatedAt = Date.now();
  await deps.save(d);
  deps.onChange?.(d);
  return d;
}

/**
 * Human mode: one turn (the first, or a revision with `feedback`). Auto mode: turns until solved,
 * exhausted, stopped or failed.
 */
export async function continueDialog(deps: DialogDeps, d: RepairDialog, feedback?: string, signal?: AbortSignal): Promise<RepairDialog> {
  await takeTurn(deps, d, feedback, signal);
  while (d.mode === "auto" && d.status === "awaiting-feedback" && canContinue(d)) await takeTurn(deps, d, undefined, signal);
  return d;
}

/** 1-based turn at which the dialog's program first passed, or null. */
export function solvedAtTurn(d: RepairDialog): number | null {
  const i = d.turns.findIndex((t) => t.verdict.kind === "passed");
  return i < 0 ? null : i + 1;
}

export interface SolvedCurve {
  mode: FeedbackMode;
  /** Dialogs with at least one turn. */
  dialogs: number;
  /** `byTurn[t-1]`: share of those dialogs solved by turn t. */
  byTurn: number[];
}

/** The paper's Figure 14: share of tasks solved by turn t, per feedback mode. */
export function solvedByTurn(dialogs: readonly RepairDialog[], maxTurns = DEFAULT_MAX_TURNS): SolvedCurve[] {
  return (["human", "auto"] as const).map((mode) => {
    const ds = dialogs.filter((d) => d.mode === mode && d.turns.length > 0);
    const at = ds.map(solvedAtTurn);
    const byTurn = Array.from({ length: maxTurns }, (_, k) => (ds.length ? at.filter((s) => s !== null && s <= k + 1).length / ds.length : 0));
    return { mode, dialogs: ds.length, byTurn };
  });
}
