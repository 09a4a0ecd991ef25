import type { Prompt } from "../engines/types.ts";
import type { Task } from "../tasks/types.ts";
import { parseAssert, type AssertCall } from "./asserts.ts";
import { tryParsePyLiteral } from "./literal.ts";

/**
 * # Execution-prediction prompts (Austin et al. 2021, §6)
 *
 * The model sees a program (the task's reference solution) and one call, and must say what the
 * call returns. The paper varies what else it sees; so do we:
 * - `code`: the program only;
 * - `code+text`: the program and the task's description;
 * - `code+text+examples`: both, plus the task's other asserts as worked input/output examples
 *   (the paper's few-shot setting, where the examples are the same function's other tests).
 *
 * Raw-completion engines get an interpreter transcript to continue (`>>> call` then the value on
 * the next line, stopped at the next prompt or a blank line); chat engines are asked for the
 * value alone. Either way the answer is read as a Python literal (`score.ts`).
 */

export type PredictVariant = "code" | "code+text" | "code+text+examples";
export const PREDICT_VARIANTS: readonly PredictVariant[] = ["code", "code+text", "code+text+examples"];
export const VARIANT_LABEL: Record<PredictVariant, string> = {
  code: "Code only",
  "code+text": "Code + description",
  "code+text+examples": "Code + description + examples",
};

/** One call to predict: task `taskId`'s `testIndex`-th assert. */
export interface PredictItem extends AssertCall {
  taskId: string;
  testIndex: number;
}

/** Every assert of the task that checks one call (see `parseAssert`); shown tests only. */
export function predictItems(task: Task): PredictItem[] {
  const out: PredictItem[] = [];
  task.tests.forEach((source, testIndex) => {
    const a = parseAssert(source);
    if (a) out.push({ ...a, taskId: task.id, testIndex });
  });
  return out;
}

export const COMPLETION_STOP = ["\n>>>", "\n\n"];

function programText(task: Task): string {
  return task.reference.replace(/\r\n?/g, "\n").trimEnd();
}

/** What the model is sent for one item and one variant. `others` are the task's other items. */
export function predictionPrompt(task: Task, item: PredictItem, others: readonly PredictItem[], variant: PredictVariant, form: "completion" | "chat"): { prompt: Prompt; stop: string[] } {
  const withText = variant !== "code";
  const examples = variant === "code+text+examples" ? others.filter((o) => o.testIndex !== item.testIndex) : [];
  const code = programText(task);
  if (form === "completion") {
    let text = withText ? `# ${task.text.trim()}\n` : "";
    text += `${code}\n\n`;
    for (const e of examples) text += `>>> ${e.call}\n${e.expected}\n`;
    text += `>>> ${item.call}\n`;
    return { prompt: { kind: "completion", text }, stop: [...COMPLETION_STOP] };
  }
  let content = withText ? `Task: ${task.text.trim()}\n\n` : "";
  content += "Here is a Python program:\n\n```python\n" + code + "\n```\n\n";
  if (examples.length) content += "Some calls and what they return:\n" + examples.map((e) => `>>> ${e.call}\n${e.expected}`).join("\n") + "\n\n";
  content += `What does \`${item.call}\` return? Answer with the value only, written as a Python literal on one line.`;
  return { prompt: { kind: "chat", messages: [{ role: "user", content }] }, stop: [] };
}

/**
 * The predicted value's text in a model's answer. Completion: the first line. Chat: a fenced
 * block's content, else the whole answer when it is a literal, else the last inline code span
 * that is one, else the last line that is one, else the first line.
 */
export function extractPrediction(raw: string, form: "completion" | "chat"): string {
  const text = raw.replace(/\r\n?/g, "\n").replace(/<think>[\s\S]*?<\/think>/g, "").trim();
  const firstLine = (s: string) => s.split("\n").find((l) => l.trim())?.trim() ?? "";
  if (form === "completion") return firstLine(text);
  const fenced = /```[\w+-]*\n([\s\S]*?)```/.exec(text);
  if (fenced) return stripEcho(fenced[1]!.trim());
  if (tryParsePyLiteral(text)) return text;
  const spans = [...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!.trim()).filter((s) => tryParsePyLiteral(s));
  if (spans.length) return spans.at(-1)!;
  const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
  for (let i = lines.length - 1; i >= 0; i--) if (tryParsePyLiteral(lines[i]!)) return lines[i]!;
  return firstLine(text);
}

/** A block that repeats the `>>> call` line before the value. */
function stripEcho(block: string): string {
  const lines = block.split("\n").filter((l) => !l.startsWith(">>>"));
  return lines.join("\n").trim();
}
