import type { Task } from "../tasks/types.ts";

/**
 * # Getting runnable code out of a model's text
 *
 * ```ts
 * const { code, notes } = extractCode(completion.text, task, "chat");
 * // code: a complete Python program — run it with programForTask(task, code), nothing prepended
 * // notes: what was done, in words for the sample view ("removed <think> block", …)
 * ```
 *
 * `form` is how the model was asked (`promptForm(spec)` in prompts/render.ts):
 * - `completion` (base models, the paper's prompt): the text is the code. Only what cannot be
 *   code is cut — a reasoning block, everything from `[DONE]` on, the next example the model
 *   started writing, special tokens, markdown fences around the code — so scores stay comparable
 *   with the paper and lm-evaluation-harness, which run the completion as it is.
 * - `chat` (instruct models): additionally the answer is reduced to its program: prose lines,
 *   example calls, `print(...)`, top-level asserts and `if __name__ == "__main__":` blocks go
 *   (they run before the tests and would turn a right answer into an error); imports,
 *   definitions and plain assignments stay.
 *
 * HumanEval tasks (`format: "humaneval"`) come back as whole programs too: the task's `prompt`
 * followed by the model's function body, or — when the answer writes `def <entry_point>` itself —
 * the prompt followed by the answer, so the prompt's imports and helper functions stay defined
 * and the answer's definition replaces the prompt's stub.
 *
 * `code` uses `\n` line endings whatever the model produced. Nothing here throws.
 */
export type ExtractForm = "completion" | "chat";

export interface Extracted {
  code: string;
  notes: string[];
}

// --- Reasoning blocks and markers ---------------------------------------------------------------

/**
 * Removes `<think>…</think>` (DeepSeek-R1, Qwen3, QwQ). When a chat template opens `<think>`
 * itself, the output holds only `</think>`: everything before it is reasoning. An unclosed
 * `<think>` means the model ran out of tokens while reasoning: nothing after it is an answer.
 */
export function stripThinking(text: string): Extracted {
  const notes: string[] = [];
  let out = text;
  let closed = 0;
  out = out.replace(/<think>[\s\S]*?<\/think>/gi, () => {
    closed++;
    return "";
  });
  if (closed) notes.push(closed === 1 ? "removed <think> block" : `removed ${closed} <think> blocks`);
  const lastClose = out.search(/<\/think>(?![\s\S]*<\/think>)/i);
  if (lastClose !== -1) {
    out = out.slice(lastClose + "</think>".length);
    notes.push("removed the reasoning before </think> (the chat template opened the <think> block)");
  }
  const open = out.search(/<think>/i);
  if (open !== -1) {
    out = out.slice(0, open);
    notes.push("removed an unclosed <think> block: the model stopped while still reasoning (raise max tokens)");
  }
  return { code: out, notes };
}

/** Chat-template end tokens that leak into raw text when a server does not strip them. */
const SPECIAL_TOKEN = /<\|(?:im_end|endoftext|eot_id|end_of_text|end|file_sep)\|>|<\/s>|<file_sep>/;

function cutMarkers(text: string, notes: string[]): string {
  let out = text;
  const special = out.search(SPECIAL_TOKEN);
  if (special !== -1) {
    const token = SPECIAL_TOKEN.exec(out)![0];
    out = out.slice(0, special);
    notes.push(`cut at the end token ${token}`);
  }
  const done = out.indexOf("[DONE]");
  if (done !== -1) {
    if (out.slice(done + 6).trim()) notes.push("cut at [DONE] (dropped the text the model wrote after it)");
    out = out.slice(0, done);
  } else {
    // A base model that never wrote [DONE] (max tokens) goes on to invent the next example.
    const next = out.search(/(^|\n)[ \t]*You are an expert Python programmer/);
    if (next !== -1) {
      out = out.slice(0, next);
      notes.push("cut where the model started writing another task (no [DONE] was written)");
    }
  }
  const begin = out.lastIndexOf("[BEGIN]");
  if (begin !== -1) {
    out = out.slice(begin + 7);
    notes.push("dropped the text up to [BEGIN]");
  }
  return out;
}

// --- Fenced blocks ------------------------------------------------------------------------------

export interface FencedBlock {
  /** The info string after the opening fence, lower-cased ("" for a bare fence). */
  lang: string;
  code: string;
  closed: boolean;
}

const FENCE = /^([ \t]*)(`{3,}|~{3,})[ \t]*([^`\s]*)[^`]*$/;

/**
 * Markdown fenced blocks (``` or ~~~, any info string, indented ones dedented). A block whose
 * closing fence never came (the model hit max tokens) runs to the end of the text.
 */
export function findFencedBlocks(text: string): FencedBlock[] {
  const lines = text.split("\n");
  const blocks: FencedBlock[] = [];
  let open: { fence: string; indent: number; lang: string; body: string[] } | null = null;
  for (const line of lines) {
    if (open) {
      const t = line.trim();
      if (t.startsWith(open.fence) && /^[`~]+$/.test(t) && t[0] === open.fence[0] && t.length >= open.fence.length) {
        blocks.push({ lang: open.lang, code: open.body.join("\n"), closed: true });
        open = null;
      } else {
        const drop = Math.min(open.indent, /^[ \t]*/.exec(line)![0].length);
        open.body.push(line.slice(drop));
      }
      continue;
    }
    const m = FENCE.exec(line);
    if (m) open = { indent: m[1]!.length, fence: m[2]!, lang: m[3]!.toLowerCase(), body: [] };
  }
  if (open) blocks.push({ lang: open.lang, code: open.body.join("\n"), closed: false });
  return blocks;
}

const PYTHONISH = /^(?:py|python|python3|py3|python\d(?:\.\d+)?|)$/;

function definesName(code: string, name: string | undefined): boolean {
  if (!name) return false;
  const n = name.replace(/[^\w]/g, "");
  return new RegExp(`^(?:async[ \\t]+)?(?:def|class)[ \\t]+${n}\\b|^${n}[ \\t]*=[ \\t]*lambda\\b`, "m").test(code);
}

function ordinal(i: number, n: number): string {
  return n === 1 ? "the fenced code block" : `fenced block ${i + 1} of ${n}`;
}

/**
 * Picks the block to run: the last one that defines the entry point (a model that revises
 * its answer puts the final version last; example-usage blocks define nothing), else the first
 * Python block with a definition, else the first Python block. Returns null when there is none.
 */
function chooseBlock(text: string, entryPoint: string | undefined, notes: string[]): { code: string; others: string[] } | null {
  const all = findFencedBlocks(text);
  if (!all.length) return null;
  // One bare fence after the code: it closes a block whose opening fence was in the prompt
  // (an assistant prefill such as lm-evaluation-harness's mbpp_instruct "```python\n").
  const only = all[0]!;
  if (all.length === 1 && !only.closed && only.lang === "") {
    const before = text.slice(0, Math.max(0, text.search(/(?:^|\n)[ \t]*(?:`{3,}|~{3,})/)));
    const defines = (s: string) => (entryPoint ? definesName(s, entryPoint) : /^(?:async[ \t]+)?(?:def|class)[ \t]/m.test(s));
    if (defines(before) && !defines(only.code)) {
      notes.push("took the code before a closing ``` that had no opening fence");
      return { code: before, others: [] };
    }
  }
  let python = all.filter((b) => PYTHONISH.test(b.lang) && b.code.trim());
  if (!python.length) python = all.filter((b) => b.code.trim() && definesName(b.code, entryPoint));
  if (!python.length) {
    notes.push(`ignored ${all.length} fenced block(s) that are not Python (${[...new Set(all.map((b) => b.lang || "plain"))].join(", ")})`);
    return null;
  }
  const n = python.length;
  let index = -1;
  for (let i = n - 1; i >= 0 && index === -1; i--) if (definesName(python[i]!.code, entryPoint)) index = i;
  let why = "";
  if (index === -1) {
    index = python.findIndex((b) => /^(?:async[ \t]+)?(?:def|class)[ \t]/m.test(b.code));
    if (index === -1) index = 0;
    if (entryPoint && n > 1) why = ` (none defines \`${entryPoint}\`)`;
  } else if (n > 1) why = ` (the last that defines \`${entryPoint}\`)`;
  const chosen = python[index]!;
  // Counted among all fenced blocks, as a reader of the raw output sees them.
  notes.push(`took ${ordinal(all.indexOf(chosen), all.length)}${why}`);
  if (!chosen.closed) notes.push("the code fence was never closed: took the text to the end");
  return { code: chosen.code, others: python.filter((_, i) => i !== index).map((b) => b.code) };
}

// --- Top-level Python statements ----------------------------------------------------------------

type StmtKind = "comment" | "decorator" | "def" | "class" | "import" | "main" | "assert" | "print" | "try" | "compound" | "prose" | "assign" | "other" | "expr";

interface Statement {
  kind: StmtKind;
  /** The name a def/class binds. */
  name?: string;
  lines: string[];
}

const KEYWORDS = new Set(
  "False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case type print".split(
    " ",
  ),
);

const MAIN_GUARD = /^if\s*\(?\s*(?:__name__\s*==\s*['"]__main__['"]|['"]__main__['"]\s*==\s*__name__)\s*\)?\s*:/;

/** A column-0 line that cannot start a Python statement: words in a sentence, markdown. */
function isProse(line: string): boolean {
  const h = line.trimEnd();
  // Markdown: bold, bullets, numbered steps, quotes, tables, rules. (Headings start with `#`
  // and are Python comments, harmless.)
  if (/^(?:\*\*|[-*+•]\s|\d+[.)]\s|>\s|\||---)/.test(h)) return true;
  if (!/^[A-Za-z_0-9'"([{\-+~.*@]/.test(h)) return true;
  // Two words in a row are a sentence unless the first is a keyword (`not x`, `lambda x: …`).
  const words = /^([A-Za-z_][\w']*)[,!?;.]?\s+[A-Za-z_`'"]/.exec(h);
  if (words && !KEYWORDS.has(words[1]!)) return true;
  const label = /^([A-Za-z_]\w*):\s*(.*)$/.exec(h);
  if (label && !KEYWORDS.has(label[1]!) && (label[2] === "" || /^[A-Za-z`'"]+\s+[A-Za-z`'"(]/.test(label[2]!))) return true;
  return false;
}

function classify(line: string): { kind: StmtKind; name?: string } {
  const h = line.trimEnd();
  if (h.startsWith("@")) return { kind: "decorator" };
  let m = /^(?:async\s+)?def\s+([A-Za-z_]\w*)/.exec(h);
  if (m) return { kind: "def", name: m[1]! };
  m = /^class\s+([A-Za-z_]\w*)/.exec(h);
  if (m) return { kind: "class", name: m[1]! };
  if (/^(?:import|from)\s/.test(h)) return { kind: "import" };
  if (MAIN_GUARD.test(h)) return { kind: "main" };
  if (/^assert\b/.test(h)) return { kind: "assert" };
  if (/^print\s*\(/.test(h)) return { kind: "print" };
  if (/^try\s*:/.test(h)) return { kind: "try" };
  if (/^(?:for|while|with|if|match|async\s+for|async\s+with)\b/.test(h)) return { kind: "compound" };
  if (/^(?:return|yield|raise|pass|break|continue|global|nonlocal|del)\b/.test(h)) return { kind: "other" };
  if (isProse(h)) return { kind: "prose" };
  if (/^[A-Za-z_][\w.]*(?:\[[^\]]*\])?(?:\s*,\s*[A-Za-z_][\w.]*)*\s*(?::[^=]+)?(?:[-+*/%&|^@]|\/\/|\*\*|<<|>>)?=(?!=)/.test(h)) return { kind: "assign" };
  return { kind: "expr" };
}

interface ScanState {
  /** The delimiter of a string still open at the end of the line. */
  str: string | null;
  depth: number;
  backslash: boolean;
}

/** Tracks strings, brackets and backslashes so multi-line statements stay whole. */
function scanLine(line: string, state: ScanState): ScanState {
  let { str, depth } = state;
  let backslash = false;
  for (let i = 0; i < line.length; ) {
    const ch = line[i]!;
    if (str) {
      if (ch === "\\") i += 2;
      else if (line.startsWith(str, i)) {
        i += str.length;
        str = null;
      } else i++;
      continue;
    }
    if (ch === "#") break;
    if (ch === '"' || ch === "'") {
      str = line.startsWith(ch + ch + ch, i) ? ch + ch + ch : ch;
      i += str.length;
      continue;
    }
    if (ch === "(" || ch === "[" || ch === "{") depth++;
    else if (ch === ")" || ch === "]" || ch === "}") depth = Math.max(0, depth - 1);
    else if (ch === "\\" && i === line.length - 1) backslash = true;
    i++;
  }
  // A one-quote string cannot span lines: an unclosed one is an error (or an apostrophe in prose).
  if (str && str.length === 1 && !line.endsWith("\\")) str = null;
  return { str, depth, backslash };
}

function splitStatements(code: string): Statement[] {
  const out: Statement[] = [];
  let cur: Statement | null = null;
  let state: ScanState = { str: null, depth: 0, backslash: false };
  for (const line of code.split("\n")) {
    const atStart = state.str === null && state.depth === 0 && !state.backslash;
    if (atStart && /^[^\s#]/.test(line)) {
      if (cur && /^(?:else|elif|except|finally)\b/.test(line) && ["compound", "try", "main"].includes(cur.kind)) {
        cur.lines.push(line);
      } else {
        cur = { ...classify(line), lines: [line] };
        out.push(cur);
        // Prose is not Python: its apostrophes and brackets must not open strings or groups.
        if (cur.kind === "prose") continue;
      }
    } else {
      if (!cur) {
        cur = { kind: "comment", lines: [] };
        out.push(cur);
      }
      cur.lines.push(line);
    }
    state = scanLine(line, state);
  }
  // Decorators belong to the definition that follows them.
  const merged: Statement[] = [];
  for (let i = 0; i < out.length; i++) {
    const s = out[i]!;
    if (s.kind === "decorator" && i + 1 < out.length) {
      const next = out[i + 1]!;
      out[i + 1] = { ...next, lines: [...s.lines, ...next.lines] };
    } else merged.push(s);
  }
  return merged;
}

function callsAny(text: string, names: readonly string[]): boolean {
  return names.some((n) => new RegExp(`(?<![\\w.])${n.replace(/[^\w]/g, "")}\\s*\\(`).test(text));
}

/** Dotted calls that run a test harness (and may exit the interpreter) rather than set something up. */
const HARNESS_CALL = /^(?:unittest\.main|doctest\.testmod|pytest\.main|sys\.exit|exit|quit)\s*\(/;

/**
 * Reduces a chat answer to its program (see the module comment). Definitions, imports and plain
 * assignments are kept as written; statements that exist to demonstrate or test the code are
 * removed. If nothing would remain, the code is returned unchanged.
 */
export function sanitizePython(code: string, entryPoint?: string): Extracted {
  const stmts = splitStatements(code);
  const demo = ["print", "input", ...(entryPoint ? [entryPoint] : [])];
  const kept: Statement[] = [];
  const removed = { main: 0, demo: [] as string[], prose: 0 };
  for (const s of stmts) {
    const text = s.lines.join("\n");
    const head = s.lines.find((l) => /^\S/.test(l) && !l.startsWith("@")) ?? "";
    let drop: "main" | "demo" | "prose" | null = null;
    switch (s.kind) {
      case "main":
        drop = "main";
        break;
      case "assert":
      case "print":
        drop = "demo";
        break;
      case "prose":
        drop = "prose";
        break;
      case "assign":
        if (callsAny(text, demo)) drop = "demo";
        break;
      case "compound":
        if (callsAny(text, demo) || /^\s*assert\b/m.test(text)) drop = "demo";
        break;
      case "try":
        if (!/^\s*(?:import|from|def|class)\s/m.test(text) && (callsAny(text, demo) || /^\s*assert\b/m.test(text))) drop = "demo";
        break;
      case "expr": {
        // A module-level call such as sys.setrecursionlimit(...) sets something up; any other
        // bare expression only demonstrates (or is a stray word that would raise NameError).
        const setup = /^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\s*\(/.test(head) && !HARNESS_CALL.test(head) && !callsAny(text, demo);
        if (!setup) drop = "demo";
        break;
      }
      default:
        break;
    }
    if (drop === "main") removed.main++;
    else if (drop === "demo") removed.demo.push(head.trim());
    else if (drop === "prose") removed.prose += s.lines.filter((l) => l.trim()).length;
    else kept.push(s);
  }
  const notes: string[] = [];
  let out = kept.map((s) => s.lines.join("\n")).join("\n");
  // Comments left dangling at the end introduced what was removed ("# Example usage").
  if (kept.length < stmts.length) out = out.replace(/(?:\n(?:#[^\n]*)?[ \t]*)+$/, "");
  out = out.replace(/^(?:[ \t]*\n)+/, "").trimEnd();
  if (!out) return { code, notes: kept.length === stmts.length ? [] : ["found nothing that looks like a definition; kept the answer as it is"] };
  if (removed.main) notes.push('removed the `if __name__ == "__main__":` block');
  if (removed.demo.length) {
    const first = removed.demo[0]!;
    const shown = first.length > 40 ? `${first.slice(0, 37)}...` : first;
    notes.push(`removed ${removed.demo.length} example statement(s) at top level (e.g. \`${shown}\`)`);
  }
  if (removed.prose) notes.push(`removed ${removed.prose} line(s) of prose`);
  return { code: out, notes };
}

// --- Helpers from other blocks ------------------------------------------------------------------

function boundNames(importLine: string): string[] {
  const from = /^from\s+\S+\s+import\s+\(?([^)#]*)/.exec(importLine);
  const list = from ? from[1]! : (/^import\s+([^#]*)/.exec(importLine)?.[1] ?? "");
  return list
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const as = /\sas\s+(\w+)$/.exec(part);
      if (as) return as[1]!;
      return from ? part : part.split(".")[0]!;
    });
}

/**
 * A chat answer sometimes puts a helper in one block and the solution in another. Definitions
 * and imports from the other blocks that the chosen one needs (directly or through another
 * added definition) but lacks are put in front of it, imports first.
 */
function addHelpers(code: string, others: readonly string[], notes: string[]): string {
  const provided = (s: Statement) => (s.name ? [s.name] : s.kind === "import" ? boundNames(s.lines[0]!) : []);
  const defined = new Set(splitStatements(code).flatMap(provided));
  const candidates = others.flatMap((o) => splitStatements(o)).filter((s) => s.kind === "def" || s.kind === "class" || s.kind === "import");
  const added = new Set<Statement>();
  const names: string[] = [];
  let uses = code;
  for (let changed = true; changed; ) {
    changed = false;
    for (const s of candidates) {
      if (added.has(s)) continue;
      const needed = provided(s).filter((n) => n !== "*" && !defined.has(n) && new RegExp(`(?<![\\w.])${n}\\b`).test(uses));
      if (!needed.length) continue;
      added.add(s);
      for (const n of provided(s)) defined.add(n);
      names.push(...needed);
      uses += "\n" + s.lines.join("\n");
      changed = true;
    }
  }
  if (!added.size) return code;
  notes.push(`added ${names.map((n) => `\`${n}\``).join(", ")} from another code block (the chosen block needs it)`);
  const ordered = candidates.filter((s) => added.has(s));
  const text = (s: Statement) => s.lines.join("\n").trimEnd();
  const imports = ordered.filter((s) => s.kind === "import").map(text);
  const defs = ordered.filter((s) => s.kind !== "import").map(text);
  return [...(imports.length ? [imports.join("\n")] : []), ...defs, code].join("\n\n");
}

// --- HumanEval ----------------------------------------------------------------------------------

/** bigcode-evaluation-harness's stop words (see HUMANEVAL_STOP in prompts/render.ts), cut here too
 *  so a sample replayed from an engine that ignored them is scored the same way. */
const HUMANEVAL_STOP_RE = /\n(?:class|def|#|@|print|if|```)|<file_sep>/;

function humanEvalProgram(task: Task, text: string, form: ExtractForm, notes: string[]): string {
  const prompt = task.prompt ?? "";
  const entry = task.entryPoint;
  const lead = text.replace(/^(?:[ \t]*\n)+/, "");
  // A whole function (starting at column 0, not a body that later redefines it).
  if (/^\S/.test(lead) && definesName(lead, entry)) {
    let program = lead;
    if (form === "chat") {
      const clean = sanitizePython(lead, entry);
      program = clean.code;
      notes.push(...clean.notes);
    }
    notes.push(`the answer defines \`${entry}\` itself: ran it after the prompt, which keeps the prompt's imports and helpers`);
    return `${prompt.trimEnd()}\n\n\n${program.trimEnd()}\n`;
  }
  let body = text;
  if (form === "completion") {
    const stop = HUMANEVAL_STOP_RE.exec(body);
    if (stop && body.slice(stop.index).trim()) {
      body = body.slice(0, stop.index);
      notes.push(`cut at ${JSON.stringify(stop[0])} (a HumanEval stop sequence: the function body is over)`);
    }
  } else if (lead && !/^[ \t]/.test(lead) && /^(?:return|yield)\b/m.test(lead)) {
    // A chat answer that gives the body without its indentation.
    body = lead
      .split("\n")
      .map((l) => (l.trim() ? `    ${l}` : l))
      .join("\n");
    notes.push("indented the answer: it was the function body written at column 0");
  } else {
    // The body ends at the first line back at column 0; what follows is not part of it.
    const end = /\n(?=[^\s])/.exec(lead);
    if (lead && /^[ \t]/.test(lead) && end && lead.slice(end.index).trim()) {
      body = lead.slice(0, end.index);
      notes.push("dropped the text after the function body");
    } else if (lead && !/^[ \t]/.test(lead)) notes.push(`the answer does not define \`${entry ?? "the function"}\`; appended it to the prompt as it is`);
  }
  notes.push("prepended the HumanEval prompt (signature and docstring)");
  // A completion is kept as written (human-eval runs prompt + completion verbatim).
  return form === "completion" ? prompt + body : `${prompt}${body.replace(/^(?:[ \t]*\n)+/, "").trimEnd()}\n`;
}

// --- The extractor ------------------------------------------------------------------------------

export function extractCode(raw: string, task: Task, form: ExtractForm): Extracted {
  const notes: string[] = [];
  const think = stripThinking(raw.replace(/\r\n?/g, "\n"));
  notes.push(...think.notes);
  let text = cutMarkers(think.code, notes);
  const block = chooseBlock(text, task.entryPoint, notes);
  if (block) text = block.code;

  if (task.format === "humaneval") return { code: humanEvalProgram(task, text, form, notes), notes };

  let code = text;
  if (form === "chat") {
    const clean = sanitizePython(code, task.entryPoint);
    code = clean.code;
    notes.push(...clean.notes);
    if (block) code = addHelpers(code, block.others, notes);
  }
  code = code.replace(/^(?:[ \t]*\n)+/, "").trimEnd();
  if (!code.trim()) notes.push("no code was found in the output");
  return { code, notes };
}

/** `extractCode` with the form fixed: the shape `RunnerDeps.extract` takes. */
export function extractorFor(form: ExtractForm): (raw: string, task: Task) => Extracted {
  return (raw, task) => extractCode(raw, task, form);
}
