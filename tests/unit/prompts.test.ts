import { describe, expect, it } from "vitest";
import { parseHumanEvalJsonl, parseMbppJsonl, parseSanitizedJson } from "../../src/lib/tasks/formats.ts";
import type { Task } from "../../src/lib/tasks/types.ts";
import type { PromptSpec } from "../../src/lib/prompts/types.ts";
import { defaultPromptSpec } from "../../src/lib/prompts/types.ts";
import {
  FENCE_REQUEST,
  HUMANEVAL_STOP,
  MBPP_PAPER_TEMPLATE,
  PromptSpecError,
  TemplateError,
  createRenderer,
  parseTemplate,
  promptForm,
  promptPreview,
  renderPrompt,
  selectShots,
  validatePromptSpec,
} from "../../src/lib/prompts/render.ts";
import { datasetText } from "../support/datasets.ts";

// --- The data, read twice: raw records (for the independent expectation) and Tasks -------------

interface MbppRecord {
  task_id: number;
  text: string;
  code: string;
  test_list: string[];
}
const mbppText = datasetText("mbpp.jsonl");
const records = new Map<number, MbppRecord>(
  mbppText
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as MbppRecord)
    .map((r) => [r.task_id, r]),
);
const mbpp = parseMbppJsonl(mbppText);
const byId = new Map(mbpp.map((t) => [t.id, t]));
const task = (id: string): Task => byId.get(id)!;
const testSplit = mbpp.filter((t) => t.split === "test");
const humaneval = parseHumanEvalJsonl(datasetText("HumanEval.jsonl"));

const completionText = (p: { prompt: { kind: string } }): string => {
  const prompt = p.prompt as { kind: "completion"; text: string };
  expect(prompt.kind).toBe("completion");
  return prompt.text;
};

/**
 * lm-evaluation-harness's rendering, restated from its source rather than from ours:
 * - lm_eval/tasks/mbpp/mbpp.yaml: doc_to_text = "You are an expert Python programmer, and here is
 *   your task: {{text}} Your code should pass these tests:\n\n{{test_list[0]}}\n{{test_list[1]}}\n
 *   {{test_list[2]}}\n[BEGIN]\n"; few-shot doc_to_target = "{{code}}\n[DONE]"; target_delimiter: "".
 * - lm_eval/api/samplers.py ContextSampler.get_context: for each example,
 *   doc_to_text + target_delimiter + doc_to_target + fewshot_delimiter.
 * - lm_eval/config/task.py TaskConfig: fewshot_delimiter = "\n\n" (mbpp.yaml does not override it).
 * - lm_eval/api/task.py ConfigurableTask.fewshot_context: labeled_examples + doc_to_text(doc).
 */
const lmEval = {
  docToText: (r: MbppRecord) =>
    `You are an expert Python programmer, and here is your task: ${r.text} Your code should pass these tests:\n\n${r.test_list[0]}\n${r.test_list[1]}\n${r.test_list[2]}\n[BEGIN]\n`,
  docToTarget: (r: MbppRecord) => `${r.code}\n[DONE]`,
  targetDelimiter: "",
  fewshotDelimiter: "\n\n",
  context(shots: MbppRecord[], doc: MbppRecord): string {
    let labeled = "";
    for (const s of shots) labeled += this.docToText(s) + this.targetDelimiter + this.docToTarget(s) + this.fewshotDelimiter;
    return labeled + this.docToText(doc);
  },
};

/** lm_eval/tasks/mbpp/utils.py `list_fewshot_samples()`: the three examples lm-eval hard-codes. */
const LM_EVAL_FEWSHOT = [
  {
    task_id: 2,
    text: "Write a function to find the similar elements from the given two tuple lists.",
    code: "def similar_elements(test_tup1, test_tup2):\r\n  res = tuple(set(test_tup1) & set(test_tup2))\r\n  return (res) ",
    test_list: [
      "assert similar_elements((3, 4, 5, 6),(5, 7, 4, 10)) == (4, 5)",
      "assert similar_elements((1, 2, 3, 4),(5, 4, 3, 7)) == (3, 4)",
      "assert similar_elements((11, 12, 14, 13),(17, 15, 14, 13)) == (13, 14)",
    ],
  },
  {
    task_id: 3,
    text: "Write a python function to identify non-prime numbers.",
    code: "import math\r\ndef is_not_prime(n):\r\n    result = False\r\n    for i in range(2,int(math.sqrt(n)) + 1):\r\n        if n % i == 0:\r\n            result = True\r\n    return result",
    test_list: ["assert is_not_prime(2) == False", "assert is_not_prime(10) == True", "assert is_not_prime(35) == True"],
  },
  {
    task_id: 4,
    text: "Write a function to find the largest integers from a given list of numbers using heap queue algorithm.",
    code: "import heapq as hq\r\ndef heap_queue_largest(nums,n):\r\n  largest_nums = hq.nlargest(n, nums)\r\n  return largest_nums",
    test_list: [
      "assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],3)==[85, 75, 65] ",
      "assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],2)==[85, 75] ",
      "assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],5)==[85, 75, 65, 58, 35]",
    ],
  },
];

/** Task 11's default prompt written out by hand: the fixture. */
const TASK_11_FIXTURE =
  "You are an expert Python programmer, and here is your task: Write a function to find the similar elements from the given two tuple lists. Your code should pass these tests:\n" +
  "\n" +
  "assert similar_elements((3, 4, 5, 6),(5, 7, 4, 10)) == (4, 5)\n" +
  "assert similar_elements((1, 2, 3, 4),(5, 4, 3, 7)) == (3, 4)\n" +
  "assert similar_elements((11, 12, 14, 13),(17, 15, 14, 13)) == (13, 14)\n" +
  "[BEGIN]\n" +
  "def similar_elements(test_tup1, test_tup2):\r\n" +
  "  res = tuple(set(test_tup1) & set(test_tup2))\r\n" +
  "  return (res) \n" +
  "[DONE]\n" +
  "\n" +
  "You are an expert Python programmer, and here is your task: Write a python function to identify non-prime numbers. Your code should pass these tests:\n" +
  "\n" +
  "assert is_not_prime(2) == False\n" +
  "assert is_not_prime(10) == True\n" +
  "assert is_not_prime(35) == True\n" +
  "[BEGIN]\n" +
  "import math\r\n" +
  "def is_not_prime(n):\r\n" +
  "    result = False\r\n" +
  "    for i in range(2,int(math.sqrt(n)) + 1):\r\n" +
  "        if n % i == 0:\r\n" +
  "            result = True\r\n" +
  "    return result\n" +
  "[DONE]\n" +
  "\n" +
  "You are an expert Python programmer, and here is your task: Write a function to find the largest integers from a given list of numbers using heap queue algorithm. Your code should pass these tests:\n" +
  "\n" +
  "assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],3)==[85, 75, 65] \n" +
  "assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],2)==[85, 75] \n" +
  "assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],5)==[85, 75, 65, 58, 35]\n" +
  "[BEGIN]\n" +
  "import heapq as hq\r\n" +
  "def heap_queue_largest(nums,n):\r\n" +
  "  largest_nums = hq.nlargest(n, nums)\r\n" +
  "  return largest_nums\n" +
  "[DONE]\n" +
  "\n" +
  "You are an expert Python programmer, and here is your task: Write a python function to remove first and last occurrence of a given character from the string. Your code should pass these tests:\n" +
  "\n" +
  'assert remove_Occ("hello","l") == "heo"\n' +
  'assert remove_Occ("abcda","a") == "bcd"\n' +
  'assert remove_Occ("PHP","P") == "H"\n' +
  "[BEGIN]\n";

const spec = (over: Partial<PromptSpec> = {}): PromptSpec => ({ ...defaultPromptSpec(), ...over });

describe("the paper's MBPP prompt (default)", () => {
  it("our copy of tasks 2, 3, 4 is exactly what lm-evaluation-harness hard-codes as its examples", () => {
    for (const want of LM_EVAL_FEWSHOT) {
      const r = records.get(want.task_id)!;
      expect({ task_id: r.task_id, text: r.text, code: r.code, test_list: r.test_list }).toEqual(want);
    }
  });

  it("renders task 11 byte for byte as the hand-written fixture", () => {
    const out = renderPrompt(defaultPromptSpec(), task("11"), mbpp);
    expect(completionText(out)).toBe(TASK_11_FIXTURE);
    expect(out.stop).toEqual(["[DONE]"]);
    expect(out.shotIds).toEqual(["2", "3", "4"]);
    // The examples keep their Windows line endings: 2 + 6 + 3 of them.
    expect(completionText(out).split("\r\n")).toHaveLength(12);
    expect(completionText(out).endsWith("[BEGIN]\n")).toBe(true);
  });

  it("matches lm-evaluation-harness's rendering for all 500 test-split tasks", () => {
    const render = createRenderer(defaultPromptSpec(), mbpp, testSplit);
    const shots = LM_EVAL_FEWSHOT.map((s) => records.get(s.task_id)!);
    let checked = 0;
    for (const t of mbpp.filter((x) => x.split === "test")) {
      const expected = lmEval.context(shots, records.get(Number(t.id))!);
      const got = completionText(render(t));
      if (got !== expected) expect({ id: t.id, got }).toEqual({ id: t.id, got: expected });
      checked++;
    }
    expect(checked).toBe(500);
  });

  it("is the README's template with {prompt} → {text}", () => {
    expect(MBPP_PAPER_TEMPLATE).toBe(
      "You are an expert Python programmer, and here is your task: {text} Your code should pass these tests:\n\n{tests}\n[BEGIN]\n{code}\n[DONE]",
    );
  });

  it("is the same prompt when written as a custom template", () => {
    const custom = spec({ template: "custom", custom: { text: MBPP_PAPER_TEMPLATE, form: "completion" } });
    for (const id of ["11", "200", "510"]) {
      const a = renderPrompt(defaultPromptSpec(), task(id), mbpp);
      const b = renderPrompt(custom, task(id), mbpp);
      expect(b).toEqual(a);
    }
  });
});

describe("prompt parameters", () => {
  it("shows 0..N examples, in the order listed", () => {
    const ids = ["2", "3", "4", "5", "6", "7"];
    for (let n = 0; n <= 6; n++) {
      const out = renderPrompt(spec({ shots: n, selection: { kind: "fixed", ids } }), task("11"), mbpp);
      expect(out.shotIds).toEqual(ids.slice(0, n));
      const expected = lmEval.context(
        ids.slice(0, n).map((id) => records.get(Number(id))!),
        records.get(11)!,
      );
      expect(completionText(out)).toBe(expected);
    }
    const zero = completionText(renderPrompt(spec({ shots: 0 }), task("11"), mbpp));
    expect(zero).toBe(lmEval.docToText(records.get(11)!));
  });

  it("never shows the asked task as its own example", () => {
    // Tasks 2, 3, 4 listed for task 3 leave two examples: refused before the run, not silently short.
    expect(() => renderPrompt(spec(), task("3"), mbpp)).toThrow(/task\(s\) 3 would get fewer than 3 examples/);
    // With a spare id listed, the task is replaced by the next one and the others keep their order.
    const spare = renderPrompt(spec({ selection: { kind: "fixed", ids: ["2", "3", "4", "5"] } }), task("3"), mbpp);
    expect(spare.shotIds).toEqual(["2", "4", "5"]);
  });

  it("shows 0 to 3 tests, for the examples and the task alike", () => {
    for (const n of [1, 2, 3]) {
      const text = completionText(renderPrompt(spec({ testsShown: n }), task("11"), mbpp));
      for (const id of [2, 3, 4, 11]) {
        const r = records.get(id)!;
        const block = `Your code should pass these tests:\n\n${r.test_list.slice(0, n).join("\n")}\n[BEGIN]\n`;
        expect(text).toContain(block);
        if (n < 3) expect(text).not.toContain(r.test_list[n]!);
      }
    }
    const none = completionText(renderPrompt(spec({ testsShown: 0 }), task("11"), mbpp));
    expect(none).not.toContain("assert");
    expect(none).not.toContain("Your code should pass");
    expect(none.endsWith(`here is your task: ${records.get(11)!.text}\n[BEGIN]\n`)).toBe(true);
  });

  it("draws examples with a seed: deterministic, from the chosen split, never the task itself", () => {
    const pick = (seed: number, pool: "prompt" | "train", id = "11", tasks: readonly Task[] = mbpp) =>
      renderPrompt(spec({ selection: { kind: "seeded", seed, pool } }), task(id), tasks).shotIds;
    const a = pick(7, "train");
    expect(a).toHaveLength(3);
    expect(pick(7, "train")).toEqual(a);
    for (const id of a) expect(task(id).split).toBe("train");
    // Independent of the order the dataset's tasks arrive in.
    expect(pick(7, "train", "11", [...mbpp].reverse())).toEqual(a);
    // Different seeds give different prompts.
    const draws = new Set([1, 2, 3, 4, 5, 6].map((s) => pick(s, "train").join(",")));
    expect(draws.size).toBeGreaterThan(4);
    // The prompt split has 10 tasks; asking one of them excludes it.
    for (let seed = 0; seed < 50; seed++) {
      const ids = pick(seed, "prompt", "5");
      expect(ids).toHaveLength(3);
      expect(ids).not.toContain("5");
      for (const id of ids) expect(Number(id)).toBeLessThanOrEqual(10);
    }
  });

  it("uses one draw for the whole run unless asked to draw per task", () => {
    const run = spec({ selection: { kind: "seeded", seed: 42, pool: "train" } });
    const render = createRenderer(run, mbpp, testSplit);
    expect(render(task("11")).shotIds).toEqual(render(task("12")).shotIds);
    const perTask = createRenderer(spec({ selection: { kind: "seeded", seed: 42, pool: "train", perTask: true } }), mbpp, testSplit);
    const tests = mbpp.filter((t) => t.split === "test").slice(0, 20);
    const distinct = new Set(tests.map((t) => perTask(t).shotIds.join(",")));
    expect(distinct.size).toBeGreaterThan(15);
    // A fresh renderer that sees task 15 first draws the same examples for it.
    const again = createRenderer(spec({ selection: { kind: "seeded", seed: 42, pool: "train", perTask: true } }), mbpp, [task("15")]);
    expect(again(task("15")).shotIds).toEqual(perTask(task("15")).shotIds);
    expect(selectShots(spec({ selection: { kind: "seeded", seed: 42, pool: "train" } }), task("11"), mbpp).map((t) => t.id)).toEqual(render(task("11")).shotIds);
  });
});

describe("chat form", () => {
  it("asks the same question in turns, with the examples' code fenced", () => {
    const out = renderPrompt(spec({ template: "mbpp-chat" }), task("11"), mbpp);
    expect(out.prompt.kind).toBe("chat");
    if (out.prompt.kind !== "chat") return;
    const m = out.prompt.messages;
    expect(m.map((x) => x.role)).toEqual(["user", "assistant", "user", "assistant", "user", "assistant", "user"]);
    const question = (r: MbppRecord) =>
      `You are an expert Python programmer, and here is your task: ${r.text} Your code should pass these tests:\n\n${r.test_list.join("\n")}\n\n${FENCE_REQUEST}`;
    expect(m[0]!.content).toBe(question(records.get(2)!));
    expect(m[1]!.content).toBe("```python\n" + records.get(2)!.code + "\n```");
    expect(m[6]!.content).toBe(question(records.get(11)!));
    expect(out.stop).toEqual([]);
    expect(promptForm(spec({ template: "mbpp-chat" }))).toBe("chat");
    expect(promptForm(spec())).toBe("completion");
  });

  it("puts an optional system message first and works zero-shot", () => {
    const out = renderPrompt(spec({ template: "mbpp-chat", shots: 0, system: "You write Python." }), task("11"), mbpp);
    expect(out.prompt).toEqual({
      kind: "chat",
      messages: [
        { role: "system", content: "You write Python." },
        { role: "user", content: expect.stringContaining('assert remove_Occ("PHP","P") == "H"') as unknown as string },
      ],
    });
    expect(promptPreview(out.prompt)).toMatch(/^### system\nYou write Python\.\n\n### user\nYou are an expert/);
  });
});

describe("HumanEval", () => {
  it("sends the task's prompt unchanged and stops where bigcode-evaluation-harness does", () => {
    const t = humaneval[0]!;
    const out = renderPrompt({ template: "humaneval", shots: 0, selection: { kind: "fixed", ids: [] }, testsShown: 0 }, t, humaneval);
    expect(completionText(out)).toBe(t.prompt);
    expect(out.stop).toEqual(["\nclass", "\ndef", "\n#", "\n@", "\nprint", "\nif", "\n```", "<file_sep>"]);
    expect(out.stop).toEqual([...HUMANEVAL_STOP]);
  });

  it("asks a chat model for the whole function in a fence", () => {
    const t = humaneval[38]!;
    const out = renderPrompt({ template: "humaneval-chat", shots: 0, selection: { kind: "fixed", ids: [] }, testsShown: 0 }, t, humaneval);
    if (out.prompt.kind !== "chat") throw new Error("expected chat");
    expect(out.prompt.messages).toHaveLength(1);
    expect(out.prompt.messages[0]!.content).toContain("```python\n" + t.prompt!.trimEnd() + "\n```");
  });

  it("refuses examples and MBPP tasks", () => {
    expect(() => validatePromptSpec({ template: "humaneval", shots: 1, selection: { kind: "fixed", ids: ["HumanEval/0"] }, testsShown: 0 }, humaneval, humaneval)).toThrow(/zero-shot/);
    expect(() => validatePromptSpec({ template: "humaneval", shots: 0, selection: { kind: "fixed", ids: [] }, testsShown: 0 }, mbpp, testSplit)).toThrow(PromptSpecError);
    expect(() => validatePromptSpec(spec(), humaneval, humaneval)).toThrow(/assert tests/);
  });
});

describe("custom templates", () => {
  const custom = (text: string, over: Partial<PromptSpec> = {}) => spec({ template: "custom", custom: { text, form: "completion" }, ...over });

  it("fills named placeholders, with {{ and }} for literal braces", () => {
    const out = renderPrompt(custom("# {task_id}: {text}\n# call {entry_point} {{like this}}\n{tests}\n{code}\n# end", { shots: 1 }), task("11"), mbpp);
    const r2 = records.get(2)!;
    const r11 = records.get(11)!;
    expect(completionText(out)).toBe(
      `# 2: ${r2.text}\n# call similar_elements {like this}\n${r2.test_list.join("\n")}\n${r2.code}\n# end\n\n` +
        `# 11: ${r11.text}\n# call remove_Occ {like this}\n${r11.test_list.join("\n")}\n`,
    );
    expect(out.stop).toEqual(["# end"]);
  });

  it("names an unknown placeholder and where it is", () => {
    const text = "Task: {text}\nTests:\n{tests}\nSolve {taks_id} now\n{code}";
    const err = (() => {
      try {
        validatePromptSpec(custom(text), mbpp, testSplit);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(TemplateError);
    const problems = (err as TemplateError).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ placeholder: "{taks_id}", line: 4, column: 7, offset: text.indexOf("{taks_id}") });
    expect((err as TemplateError).message).toMatch(/line 4, column 7: unknown placeholder `\{taks_id\}`/);
    expect((err as TemplateError).message).toMatch(/Fix the template/);
  });

  it("reports unbalanced braces, empty and repeated placeholders, all at once", () => {
    const { problems } = parseTemplate("a { b\nc } d\n{}\n{code}{code}\nok {{ }}");
    expect(problems.map((p) => [p.line, p.column, p.message.split(" (")[0]])).toEqual([
      [1, 3, "a `{` that is never closed"],
      [2, 3, "a `}` with no `{` before it"],
      [3, 1, "an empty placeholder `{}`"],
      [4, 7, "`{code}` appears more than once"],
    ]);
    expect(parseTemplate("{{text}} {text}").parts).toEqual([{ kind: "literal", text: "{text} " }, { kind: "placeholder", name: "text" }]);
  });

  it("needs {code} to show examples, and the fields its placeholders use", () => {
    expect(() => validatePromptSpec(custom("{text}\n{tests}", { shots: 2 }), mbpp, testSplit)).toThrow(/needs `\{code\}`/);
    expect(() => validatePromptSpec(custom("{text}\n{tests}", { shots: 0 }), mbpp, testSplit)).not.toThrow();
    expect(() => validatePromptSpec(custom("{prompt}", { shots: 0 }), mbpp, [task("11")])).toThrow(/\{prompt\}.*11/);
    expect(() => validatePromptSpec(custom("{prompt}", { shots: 0 }), humaneval, humaneval)).not.toThrow();
  });

  it("renders a chat-form template as turns", () => {
    const out = renderPrompt(spec({ template: "custom", shots: 1, custom: { text: "Solve: {text}\n{tests}\n{code}", form: "chat" } }), task("11"), mbpp);
    if (out.prompt.kind !== "chat") throw new Error("expected chat");
    expect(out.prompt.messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(out.prompt.messages[2]!.content).toBe(`Solve: ${records.get(11)!.text}\n${records.get(11)!.test_list.join("\n")}`);
    expect(out.stop).toEqual([]);
  });
});

describe("validation before a run", () => {
  it("rejects settings that do not fit the dataset, saying which", () => {
    expect(() => validatePromptSpec(spec({ selection: { kind: "fixed", ids: ["2", "3", "9999"] } }), mbpp, testSplit)).toThrow(/9999 are not in this dataset/);
    expect(() => validatePromptSpec(spec({ testsShown: 4 }), mbpp, testSplit)).toThrow(/0, 1, 2 or 3 \(got 4\)/);
    expect(() => validatePromptSpec(spec({ shots: 11, selection: { kind: "seeded", seed: 1, pool: "prompt" } }), mbpp, testSplit)).toThrow(/prompt split has 10 task/);
    expect(() => validatePromptSpec(spec({ shots: 10, selection: { kind: "seeded", seed: 1, pool: "prompt" } }), mbpp, [task("3")])).toThrow(/fewer than 10 examples/);
    expect(() => validatePromptSpec(spec({ template: "mathqa" }), mbpp, testSplit)).toThrow(/does not fit task\(s\) 11/);
    expect(() => validatePromptSpec({ ...spec(), template: "fancy" as unknown as PromptSpec["template"] }, mbpp, testSplit)).toThrow(/unknown template kind "fancy"/);
    const e = (() => {
      try {
        createRenderer(spec({ shots: -1 }), mbpp, testSplit);
      } catch (x) {
        return x as PromptSpecError;
      }
      throw new Error("expected an error");
    })();
    expect(e).toBeInstanceOf(PromptSpecError);
    expect(e.message).toMatch(/^The prompt settings cannot be used: .*Change them before starting the run\.$/);
  });

  it("works on sanitized MBPP, whose prompt split also holds tasks 2, 3, 4", () => {
    const sanitized = parseSanitizedJson(datasetText("sanitized-mbpp.json"));
    const t = sanitized.find((x) => x.split === "test")!;
    const out = renderPrompt(spec(), t, sanitized);
    expect(out.shotIds).toEqual(["2", "3", "4"]);
    expect(completionText(out).endsWith(`${t.tests.slice(0, 3).join("\n")}\n[BEGIN]\n`)).toBe(true);
  });

  it("keeps the spec plain JSON", () => {
    const s = spec({ template: "custom", custom: { text: MBPP_PAPER_TEMPLATE, form: "completion" }, selection: { kind: "seeded", seed: 3, pool: "train" } });
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    expect(defaultPromptSpec()).not.toBe(defaultPromptSpec());
  });
});
