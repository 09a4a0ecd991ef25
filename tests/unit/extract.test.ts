import { describe, expect, it } from "vitest";
import { parseHumanEvalJsonl, parseMbppJsonl } from "../../src/lib/tasks/formats.ts";
import type { Task } from "../../src/lib/tasks/types.ts";
import { extractCode, extractorFor, findFencedBlocks, sanitizePython, stripThinking } from "../../src/lib/eval/extract.ts";
import { datasetText } from "../support/datasets.ts";

const mbpp = parseMbppJsonl(datasetText("mbpp.jsonl"));
const humaneval = parseHumanEvalJsonl(datasetText("HumanEval.jsonl"));
const task = (id: string): Task => mbpp.find((t) => t.id === id)!;
const he = (id: string): Task => humaneval.find((t) => t.id === id)!;
const normal = (s: string) => s.replace(/\r\n?/g, "\n").replace(/^(?:[ \t]*\n)+/, "").trimEnd();
const fence = "```";

const REMOVE_OCC = `def remove_Occ(s, ch):
    # Remove the first occurrence
    first = s.find(ch)
    if first != -1:
        s = s[:first] + s[first + 1:]
    # Remove the last occurrence
    last = s.rfind(ch)
    if last != -1:
        s = s[:last] + s[last + 1:]
    return s`;

describe("chat answers (Qwen2.5-Coder-Instruct style)", () => {
  it("takes the code out of prose, drops the example asserts and the explanation", () => {
    const raw = `Here's a Python function that removes the first and last occurrence of a given character from a string:

${fence}python
${REMOVE_OCC}

# Test cases
assert remove_Occ("hello", "l") == "heo"
assert remove_Occ("abcda", "a") == "bcd"
assert remove_Occ("PHP", "P") == "H"
${fence}

### Explanation:
1. **Finding the first occurrence**: \`s.find(ch)\` returns the index of the first occurrence.
2. **Removing it**: the string is sliced around that index.

This function handles the case where the character does not occur.`;
    const { code, notes } = extractCode(raw, task("11"), "chat");
    expect(code).toBe(REMOVE_OCC);
    expect(notes).toEqual(["took the fenced code block", 'removed 3 example statement(s) at top level (e.g. `assert remove_Occ("hello", "l") == "heo"`)']);
  });

  it("drops an `if __name__ == \"__main__\":` block and example prints", () => {
    const raw = `${fence}python
import heapq

def heap_queue_largest(nums, n):
    """Return the n largest numbers, largest first."""
    return heapq.nlargest(n, nums)

if __name__ == '__main__':
    nums = [25, 35, 22, 85, 14, 65, 75, 22, 58]
    print(heap_queue_largest(nums, 3))  # [85, 75, 65]
${fence}`;
    const { code, notes } = extractCode(raw, task("4"), "chat");
    expect(code).toBe(`import heapq

def heap_queue_largest(nums, n):
    """Return the n largest numbers, largest first."""
    return heapq.nlargest(n, nums)`);
    expect(notes).toContain('removed the `if __name__ == "__main__":` block');
  });

  it("ignores a separate example-usage block and keeps setup calls and constants", () => {
    const raw = `To solve this problem, we can use a simple loop.

${fence}python
import sys
sys.setrecursionlimit(10000)
MOD = 10 ** 9 + 7

def is_not_prime(n):
    if n < 2:
        return True
    return any(n % i == 0 for i in range(2, int(n ** 0.5) + 1))
${fence}

You can test the function with the following code:

${fence}python
result = is_not_prime(10)
print(result)  # Output: True
print(is_not_prime(2))
${fence}

${fence}text
True
False
${fence}`;
    const { code, notes } = extractCode(raw, task("3"), "chat");
    expect(code).toBe(`import sys
sys.setrecursionlimit(10000)
MOD = 10 ** 9 + 7

def is_not_prime(n):
    if n < 2:
        return True
    return any(n % i == 0 for i in range(2, int(n ** 0.5) + 1))`);
    expect(notes).toEqual(["took fenced block 1 of 3 (the last that defines `is_not_prime`)"]);
  });

  it("takes the revised version when the answer defines the function twice", () => {
    const raw = `A first attempt:

${fence}python
def is_not_prime(n):
    for i in range(2, n):
        if n % i == 0:
            return True
    return False
${fence}

This is O(n). A faster version only checks up to the square root:

${fence}py
import math
def is_not_prime(n):
    return any(n % i == 0 for i in range(2, math.isqrt(n) + 1))
${fence}`;
    const { code, notes } = extractCode(raw, task("3"), "chat");
    expect(code).toBe("import math\ndef is_not_prime(n):\n    return any(n % i == 0 for i in range(2, math.isqrt(n) + 1))");
    expect(notes).toEqual(["took fenced block 2 of 2 (the last that defines `is_not_prime`)"]);
  });

  it("brings along a helper defined in another block", () => {
    const raw = `First a helper:

${fence}python
from math import isqrt
def _is_prime(k):
    return k > 1 and all(k % d for d in range(2, isqrt(k) + 1))
${fence}

Then the function itself:

${fence}python
def is_not_prime(n):
    return not _is_prime(n)
${fence}`;
    const { code, notes } = extractCode(raw, task("3"), "chat");
    expect(code).toBe(
      "from math import isqrt\n\ndef _is_prime(k):\n    return k > 1 and all(k % d for d in range(2, isqrt(k) + 1))\n\ndef is_not_prime(n):\n    return not _is_prime(n)",
    );
    expect(notes.at(-1)).toBe("added `_is_prime`, `isqrt` from another code block (the chosen block needs it)");
  });

  it("handles an answer with no fences at all: prose lines go, code stays", () => {
    const raw = `Sure! Here is the solution.
def similar_elements(test_tup1, test_tup2):
    res = tuple(set(test_tup1) & set(test_tup2))
    return res
This uses set intersection, which is O(n).
Example:
    similar_elements((3, 4), (4, 5))
- It returns a tuple.
print(similar_elements((3, 4, 5, 6), (5, 7, 4, 10)))`;
    const { code, notes } = extractCode(raw, task("2"), "chat");
    expect(code).toBe("def similar_elements(test_tup1, test_tup2):\n    res = tuple(set(test_tup1) & set(test_tup2))\n    return res");
    expect(notes).toEqual(["removed 1 example statement(s) at top level (e.g. `print(similar_elements((3, 4, 5, 6), ...`)", "removed 5 line(s) of prose"]);
  });

  it("tolerates an unclosed fence (the model hit max tokens)", () => {
    const raw = `${fence}python\ndef remove_Occ(s, ch):\n    return s.replace(ch, "", 1)[::-1].replace(ch, "", 1)[::-1]\n\n# Example\nprint(remove_Occ("hello", "l"))\nprint(remove_Occ("ab`;
    const { code, notes } = extractCode(raw, task("11"), "chat");
    expect(code).toBe('def remove_Occ(s, ch):\n    return s.replace(ch, "", 1)[::-1].replace(ch, "", 1)[::-1]');
    expect(notes).toContain("the code fence was never closed: took the text to the end");
  });

  it("reads indented fences inside a list, and non-Python fences are skipped", () => {
    const raw = `1. Install nothing:
   ${fence}bash
   python3 solution.py
   ${fence}
2. The code:
   ${fence}python
   def similar_elements(a, b):
       return tuple(set(a) & set(b))
   ${fence}`;
    expect(extractCode(raw, task("2"), "chat").code).toBe("def similar_elements(a, b):\n    return tuple(set(a) & set(b))");
  });

  it("takes the code before a lone closing fence (the opening one was an assistant prefill)", () => {
    const raw = "def similar_elements(a, b):\n    return tuple(set(a) & set(b))\n```\n\nThis returns the common elements.";
    const { code, notes } = extractCode(raw, task("2"), "chat");
    expect(code).toBe("def similar_elements(a, b):\n    return tuple(set(a) & set(b))");
    expect(notes[0]).toMatch(/closing ``` that had no opening fence/);
  });

  it("stops at a leaked end-of-turn token", () => {
    const { code, notes } = extractCode("```python\ndef f(x):\n    return x\n```<|im_end|>\n<|im_start|>user\nthanks", task("2"), "chat");
    expect(code).toBe("def f(x):\n    return x");
    expect(notes[0]).toBe("cut at the end token <|im_end|>");
  });
});

describe("reasoning models (DeepSeek-R1, Qwen3)", () => {
  const answer = `${fence}python\n${REMOVE_OCC}\n${fence}`;

  it("removes a <think> block, including code drafted inside it", () => {
    const raw = `<think>
Okay, so I need to remove the first and last occurrence of ch. Maybe:
${fence}python
def remove_Occ(s, ch):
    return s.strip(ch)
${fence}
Wait, strip removes all leading ones, not the first occurrence. Let me use find and rfind.
</think>

To remove the first and last occurrences, find them with \`find\` and \`rfind\`:

${answer}`;
    const { code, notes } = extractCode(raw, task("11"), "chat");
    expect(code).toBe(REMOVE_OCC);
    expect(notes).toEqual(["removed <think> block", "took the fenced code block"]);
  });

  it("removes reasoning before a lone </think> (the chat template opened it)", () => {
    const raw = `Okay, let's see. The function should use find for the first occurrence (don't use replace).\n</think>\n\n${answer}`;
    const { code, notes } = extractCode(raw, task("11"), "chat");
    expect(code).toBe(REMOVE_OCC);
    expect(notes[0]).toMatch(/removed the reasoning before <\/think>/);
  });

  it("gives no code for an unclosed <think> and says why", () => {
    const raw = "<think>\nHmm, the first occurrence... let me think about ```python\ndef remove_Occ(s, ch):\n    return s";
    const { code, notes } = extractCode(raw, task("11"), "chat");
    expect(code).toBe("");
    expect(notes).toEqual(["removed an unclosed <think> block: the model stopped while still reasoning (raise max tokens)", "no code was found in the output"]);
    expect(stripThinking("a<think>x</think>b<THINK>y</THINK>c").code).toBe("abc");
  });
});

describe("base-model completions (the paper's prompt)", () => {
  it("cuts at [DONE] and leaves the code as written", () => {
    const raw =
      "def remove_Occ(s,ch): \r\n    s = s.replace(ch,'',1) \r\n    s = s[::-1].replace(ch,'',1)[::-1] \r\n    return s\n[DONE]\n\nYou are an expert Python programmer, and here is your task: Write a function to";
    const { code, notes } = extractCode(raw, task("11"), "completion");
    expect(code).toBe("def remove_Occ(s,ch): \n    s = s.replace(ch,'',1) \n    s = s[::-1].replace(ch,'',1)[::-1] \n    return s");
    expect(notes).toEqual(["cut at [DONE] (dropped the text the model wrote after it)"]);
  });

  it("does not touch prints or asserts the model wrote (scored as the paper would)", () => {
    const raw = "def f(x):\n    return x\nprint(f(1))\n";
    expect(extractCode(raw, task("2"), "completion")).toEqual({ code: "def f(x):\n    return x\nprint(f(1))", notes: [] });
  });

  it("cuts where the model starts inventing the next task when it never wrote [DONE]", () => {
    const raw = "def is_not_prime(n):\n    return n < 2 or any(n % i == 0 for i in range(2, n))\n\nYou are an expert Python programmer, and here is your task: Write a function to";
    const { code, notes } = extractCode(raw, task("3"), "completion");
    expect(code).toBe("def is_not_prime(n):\n    return n < 2 or any(n % i == 0 for i in range(2, n))");
    expect(notes).toEqual(["cut where the model started writing another task (no [DONE] was written)"]);
  });

  it("passes every MBPP reference solution through unchanged, in both forms", () => {
    let n = 0;
    for (const t of mbpp) {
      const want = normal(t.reference);
      for (const form of ["completion", "chat"] as const) {
        const got = extractCode(t.reference, t, form);
        if (got.code !== want || got.notes.length) expect({ id: t.id, form, ...got }).toEqual({ id: t.id, form, code: want, notes: [] });
      }
      // Wrapped the way a chat model answers, the reference comes back exactly.
      const wrapped = `Here is the solution:\n\n${fence}python\n${t.reference}\n\n# Example usage\nprint(${t.entryPoint}(1))\n${fence}\n\nThis works because of reasons.`;
      const got = extractCode(wrapped, t, "chat");
      if (got.code !== want) expect({ id: t.id, code: got.code }).toEqual({ id: t.id, code: want });
      n++;
    }
    expect(n).toBe(974);
  });
});

describe("HumanEval", () => {
  it("completion: the prompt plus the body, cut at bigcode's stop sequences", () => {
    const t = he("HumanEval/0");
    const body = "    for i, a in enumerate(numbers):\n        for b in numbers[i + 1:]:\n            if abs(a - b) < threshold:\n                return True\n    return False\n";
    const { code, notes } = extractCode(`${body}\n\ndef main():\n    print(has_close_elements([1.0], 0.5))\n`, t, "completion");
    // Exactly bigcode's cut: everything before the stop sequence, the blank line included.
    expect(code).toBe(t.prompt + body + "\n");
    expect(notes).toEqual(['cut at "\\ndef" (a HumanEval stop sequence: the function body is over)', "prepended the HumanEval prompt (signature and docstring)"]);
  });

  it("completion: every canonical solution becomes prompt + solution", () => {
    for (const t of humaneval) {
      const { code } = extractCode(t.reference, t, "completion");
      if (code !== t.prompt! + t.reference) expect({ id: t.id, code }).toEqual({ id: t.id, code: t.prompt! + t.reference });
    }
  });

  it("chat: an answer that repeats the signature is run as the whole function after the prompt", () => {
    const t = he("HumanEval/0");
    const raw = `Here's the completed function:

${fence}python
from typing import List


def has_close_elements(numbers: List[float], threshold: float) -> bool:
    numbers = sorted(numbers)
    return any(b - a < threshold for a, b in zip(numbers, numbers[1:]))


# Example usage
print(has_close_elements([1.0, 2.0, 3.0], 0.5))  # False
print(has_close_elements([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3))  # True
${fence}`;
    const { code, notes } = extractCode(raw, t, "chat");
    expect(code).toBe(
      `${t.prompt!.trimEnd()}\n\n\nfrom typing import List\n\n\ndef has_close_elements(numbers: List[float], threshold: float) -> bool:\n    numbers = sorted(numbers)\n    return any(b - a < threshold for a, b in zip(numbers, numbers[1:]))\n`,
    );
    expect(notes).toContain("the answer defines `has_close_elements` itself: ran it after the prompt, which keeps the prompt's imports and helpers");
    expect(notes.some((n) => n.startsWith("removed 2 example statement(s)"))).toBe(true);
  });

  it("chat: keeps the prompt's helpers when the answer defines only the entry point", () => {
    const t = he("HumanEval/38");
    const raw = `${fence}python\ndef decode_cyclic(s: str):\n    return encode_cyclic(encode_cyclic(s))\n${fence}`;
    const { code } = extractCode(raw, t, "chat");
    expect(code.startsWith(t.prompt!.trimEnd())).toBe(true);
    expect(code).toContain("def encode_cyclic(s: str):");
    expect(code.trimEnd().endsWith("return encode_cyclic(encode_cyclic(s))")).toBe(true);
  });

  it("chat: a body without its indentation is indented under the prompt", () => {
    const t = he("HumanEval/0");
    const raw = `${fence}python\nfor i, a in enumerate(numbers):\n    for b in numbers[i + 1:]:\n        if abs(a - b) < threshold:\n            return True\nreturn False\n${fence}`;
    const { code, notes } = extractCode(raw, t, "chat");
    expect(code).toBe(`${t.prompt}    for i, a in enumerate(numbers):\n        for b in numbers[i + 1:]:\n            if abs(a - b) < threshold:\n                return True\n    return False\n`);
    expect(notes[1]).toBe("indented the answer: it was the function body written at column 0");
  });

  it("chat: an indented body followed by prose keeps only the body", () => {
    const t = he("HumanEval/0");
    const raw = "    return any(abs(a - b) < threshold for i, a in enumerate(numbers) for b in numbers[i + 1:])\n\nThis checks every pair.";
    const { code } = extractCode(raw, t, "chat");
    expect(code).toBe(`${t.prompt}    return any(abs(a - b) < threshold for i, a in enumerate(numbers) for b in numbers[i + 1:])\n`);
  });
});

describe("building blocks", () => {
  it("finds fenced blocks with their language, closed or not", () => {
    expect(findFencedBlocks("a\n```Python\nx = 1\n```\n~~~\ny\n~~~\n```py\nz")).toEqual([
      { lang: "python", code: "x = 1", closed: true },
      { lang: "", code: "y", closed: true },
      { lang: "py", code: "z", closed: false },
    ]);
  });

  it("keeps multi-line strings and brackets whole when sanitising", () => {
    const code = `def f(x):
    """Docstring with a line at column 0:
print("this is inside the docstring")
    """
    return x

TABLE = [
print,
]
x = f(
    3)
f(2)
doctest.testmod()`;
    const { code: out, notes } = sanitizePython(code, "f");
    expect(out).toBe(code.split("\nx = f(")[0]);
    expect(notes).toEqual(["removed 3 example statement(s) at top level (e.g. `x = f(`)"]);
  });

  it("fits RunnerDeps.extract", () => {
    const extract: (raw: string, task: Task) => { code: string; notes: string[] } = extractorFor("completion");
    expect(extract("def f():\n  pass\n[DONE]", task("2")).code).toBe("def f():\n  pass");
  });
});
