import type { TestProgram } from "../eval/program.ts";
import type { Verdict } from "../python/types.ts";
import type { Task } from "../tasks/types.ts";
import type { PredictItem } from "./prompt.ts";

/**
 * # The truth: run the call
 *
 * One sandbox run per task: its reference solution, its set-up, then one statement per item that
 * prints a marker and `repr(call)`. The harness runs every test even after one raised, so one
 * call's exception costs only that item its truth.
 */

export type Truth = { ok: true; repr: string } | { ok: false; error: string };

const marker = (i: number) => `@@predict-truth:${i}@@`;

export function truthProgram(task: Task, items: readonly PredictItem[]): TestProgram {
  return {
    code: task.reference.replace(/\r\n?/g, "\n"),
    setup: task.setup.replace(/\r\n?/g, "\n"),
    tests: items.map((item, i) => ({ source: `print(${JSON.stringify(marker(i))} + repr(${item.call}))`, hidden: false })),
  };
}

/** Each item's printed repr, or why there is none. */
export function readTruths(verdict: Verdict, count: number): Truth[] {
  const pieces = new Map<number, string>();
  const re = /@@predict-truth:(\d+)@@/g;
  const hits = [...verdict.stdout.matchAll(re)];
  hits.forEach((h, k) => {
    const end = k + 1 < hits.length ? hits[k + 1]!.index : verdict.stdout.length;
    pieces.set(Number(h[1]), verdict.stdout.slice(h.index + h[0].length, end).replace(/\n$/, ""));
  });
  return Array.from({ length: count }, (_, i): Truth => {
    const t = verdict.tests[i];
    const printed = pieces.get(i);
    if (t?.status === "passed" && printed !== undefined) return { ok: true, repr: printed };
    if (t?.error) return { ok: false, error: `${t.error.type}${t.error.message ? `: ${t.error.message}` : ""}` };
    if (verdict.error) return { ok: false, error: `${verdict.kind}: ${verdict.error.type}${verdict.error.message ? `: ${verdict.error.message}` : ""}` };
    if (verdict.truncated) return { ok: false, error: "the output was cut at the sandbox's cap before this call printed" };
    return { ok: false, error: `the reference program did not run the call (${verdict.kind})` };
  });
}
