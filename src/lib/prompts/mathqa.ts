import type { Prompt } from "../engines/types.ts";
import { publishedProgram } from "../tasks/mathqa.ts";
import type { Task } from "../tasks/types.ts";
import type { PromptSpec } from "./types.ts";

/**
 * # The MathQA-Python prompt
 *
 * Austin et al. 2021 prompt MathQA-Python with the problem as a Python comment — the dataset's
 * `text`, `# <problem> n0 = <float> n1 = …` — followed by its program, which ends in
 * `answer = …`; a few solved problems come first. So a prompt is
 *
 * ```
 * # <example problem 1> n0 = … n1 = …
 * <example program 1, ending in answer = …>
 *
 * # <example problem 2> …
 * <example program 2>
 *
 * # <the asked problem> n0 = … n1 = …
 * ```
 *
 * and the model continues with a program. Examples are the published programs (with
 * `import scipy`, not the sandbox's stand-in). The blank line between examples is ours (the paper
 * does not print its separator); generation stops at a blank line followed by a comment, i.e. where
 * the next problem would begin — not at a bare blank line, which 137 published single-op programs
 * contain before `answer =`.
 */

export const MATHQA_SHOT_SEPARATOR = "\n\n";
export const MATHQA_STOP: readonly string[] = ["\n\n#"];

/**
 * The prompt settings for MathQA-Python: three examples, the first three test problems (none uses
 * SciPy), with a fourth listed for when the asked problem is one of them. Only the test split
 * exists here (README, "Where the data comes from"), so examples come from it and are never the asked problem.
 */
export function defaultMathqaPromptSpec(): PromptSpec {
  return { template: "mathqa", shots: 3, selection: { kind: "fixed", ids: ["0", "1", "2", "3"] }, testsShown: 0 };
}

function example(task: Task): string {
  return `${task.text}\n${publishedProgram(task.reference)}`;
}

/** The paper's few-shot completion prompt for `task` after `shots` (chosen by the caller's picker). */
export function renderMathqaPrompt(task: Task, shots: readonly Task[]): { prompt: Prompt; stop: string[] } {
  const parts = shots.map(example);
  parts.push(`${task.text}\n`);
  return { prompt: { kind: "completion", text: parts.join(MATHQA_SHOT_SEPARATOR) }, stop: [...MATHQA_STOP] };
}

/** What makes the MathQA prompt unusable for these tasks (empty when it fits), for `validatePromptSpec`. */
export function mathqaPromptProblems(targets: readonly Task[], shots: readonly Task[] = []): string[] {
  const wrong = [...new Set([...targets, ...shots].filter((t) => t.format !== "mathqa").map((t) => t.id))];
  if (!wrong.length) return [];
  const ids = `${wrong.slice(0, 5).join(", ")}${wrong.length > 5 ? ` and ${wrong.length - 5} more` : ""}`;
  return [`the mathqa prompt does not fit task(s) ${ids} (it needs MathQA-Python tasks, which end in \`answer = …\`); pick the matching template`];
}
