import type { Task } from "../tasks/types.ts";

export interface ProgramTest {
  /** One statement (usually an `assert`), run on its own so the first failing one is known. */
  source: string;
  /** Never shown to a model (MBPP challenge tests, HumanEval's check, MathQA's gold answer). */
  hidden: boolean;
}

/**
 * What the sandbox runs, in this order, in one fresh namespace: `code` (the candidate: a whole
 * program), then `setup` (MBPP `test_setup_code`, sanitized `test_imports`, HumanEval's `test`),
 * then each test. This is the order MBPP's and human-eval's own harnesses concatenate them in.
 */
export interface TestProgram {
  code: string;
  setup: string;
  tests: ProgramTest[];
}

/** Default relative tolerance for MathQA-Python answers (the paper compares within 1 %). */
export const MATHQA_RTOL = 0.01;

/** The program that checks `code` (a complete program) against a task's shown and hidden tests. */
export function programForTask(task: Task, code: string, opts: { mathqaRtol?: number } = {}): TestProgram {
  const tests: ProgramTest[] = [
    ...task.tests.map((source) => ({ source, hidden: false })),
    ...task.hiddenTests.map((source) => ({ source, hidden: true })),
  ];
  if (task.format === "mathqa" && task.answer !== undefined) {
    const gold = task.answer;
    const rtol = opts.mathqaRtol ?? MATHQA_RTOL;
    tests.push({ source: `assert abs(answer - ${gold}) <= ${rtol} * abs(${gold}), answer`, hidden: true });
  }
  return { code: normaliseNewlines(code), setup: normaliseNewlines(task.setup), tests };
}

/** HumanEval completions continue the prompt (signature + docstring); the program is both. */
export function humanEvalProgramText(task: Task, completion: string): string {
  return `${task.prompt ?? ""}${completion}`;
}

/** MBPP's reference solutions carry Windows line endings; tracebacks count lines on `\n`. */
function normaliseNewlines(s: string): string {
  return s.replace(/\r\n?/g, "\n");
}
