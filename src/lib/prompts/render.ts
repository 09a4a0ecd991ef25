import type { ChatMessage, Prompt } from "../engines/types.ts";
import type { Task } from "../tasks/types.ts";
import { mathqaPromptProblems, renderMathqaPrompt } from "./mathqa.ts";
import type { CustomTemplate, PromptSpec, ShotSelection, TemplateKind } from "./types.ts";

/**
 * # Rendering a task into what an engine is sent
 *
 * ```ts
 * const render = createRenderer(spec, dataset.tasks, runTasks); // validates: throws before any run starts
 * const { prompt, stop, shotIds } = render(task);              // Prompt for GenerateRequest, stop strings
 * show(promptPreview(prompt));                                 // the exact text, for display and copying
 * ```
 *
 * The default (`mbpp-paper`, 3 shots of tasks 2, 3, 4, three tests) reproduces the prompt of
 * Austin et al. 2021 as google-research `mbpp/README.md` states it, byte for byte the context
 * lm-evaluation-harness builds for its `mbpp` task:
 * - `lm_eval/tasks/mbpp/mbpp.yaml`: `doc_to_text` is the README's question ending in `[BEGIN]\n`;
 *   an example's target is `{{code}}\n[DONE]`; `target_delimiter: ""`; `until: ["[DONE]"]`;
 *   examples are tasks 2, 3, 4 (`utils.list_fewshot_samples`, code with its `\r\n` endings).
 * - `lm_eval/api/samplers.py` `ContextSampler.get_context`: each example is
 *   text + target_delimiter + target + fewshot_delimiter, and `lm_eval/config/task.py`
 *   `TaskConfig.fewshot_delimiter` defaults to `"\n\n"`; `lm_eval/api/task.py`
 *   `ConfigurableTask.fewshot_context` then appends the asked task's `doc_to_text`.
 * So: every example is `question + code + "\n[DONE]" + "\n\n"`, then the question, which ends `[BEGIN]\n`.
 */

// --- Templates ----------------------------------------------------------------------------------

/** google-research `mbpp/README.md`, verbatim: `{prompt}` there is our `{text}`, `{tests}` one per line. */
export const MBPP_PAPER_TEMPLATE =
  "You are an expert Python programmer, and here is your task: {text} Your code should pass these tests:\n\n{tests}\n[BEGIN]\n{code}\n[DONE]";

/**
 * With no tests shown the paper's sentence about tests would introduce an empty list, so the
 * sentence goes. This variant is ours (the paper states no zero-test prompt).
 */
export const MBPP_PAPER_TEMPLATE_NO_TESTS = "You are an expert Python programmer, and here is your task: {text}\n[BEGIN]\n{code}\n[DONE]";

/** Chat form: the same question, then this request (the answer format extraction looks for first). */
export const FENCE_REQUEST = "Answer with the complete Python code in a single ```python fenced code block.";

const MBPP_CHAT_QUESTION = "You are an expert Python programmer, and here is your task: {text} Your code should pass these tests:\n\n{tests}";
const MBPP_CHAT_QUESTION_NO_TESTS = "You are an expert Python programmer, and here is your task: {text}";

const HUMANEVAL_CHAT_REQUEST =
  "Complete the following Python function. Answer with the complete function, including its signature and any imports it needs, in a single ```python fenced code block.";

/**
 * Where a HumanEval completion ends: bigcode-evaluation-harness `bigcode_eval/tasks/humaneval.py`
 * (`GeneralHumanEval.__init__`, `stop_words`). The first five are the Codex paper's
 * (Chen et al. 2021, §3.3); the rest stop a model opening a fence or a new file.
 * A completion continues a function body, so any of these at the start of a line means the
 * body is over.
 */
export const HUMANEVAL_STOP: readonly string[] = ["\nclass", "\ndef", "\n#", "\n@", "\nprint", "\nif", "\n```", "<file_sep>"];

/** Separator between worked examples: lm-evaluation-harness `TaskConfig.fewshot_delimiter` default. */
export const SHOT_SEPARATOR = "\n\n";

/** Names a custom template may use, and what each is filled with. */
export const CUSTOM_PLACEHOLDERS = {
  text: "the task description (MBPP `text`, HumanEval docstring prompt)",
  tests: "the first N shown tests, one per line (N = tests shown)",
  code: "an example's reference solution; the asked task's prompt ends here",
  entry_point: "the name of the function the tests call",
  prompt: "HumanEval: the code prefix (signature + docstring)",
  task_id: "the task's id",
} as const;
export type PlaceholderName = keyof typeof CUSTOM_PLACEHOLDERS;

const KNOWN_KINDS: readonly TemplateKind[] = ["mbpp-paper", "mbpp-chat", "humaneval", "humaneval-chat", "mathqa", "custom"];

// --- Errors -------------------------------------------------------------------------------------

/** One problem in a template's text, located for the editor (1-based line and column). */
export interface TemplateProblem {
  message: string;
  /** 0-based offset into the template text. */
  offset: number;
  line: number;
  column: number;
  /** The placeholder at fault, as written (e.g. `{fo}`), when there is one. */
  placeholder?: string;
}

/** A custom template that cannot be rendered. Nothing is sent to a model. */
export class TemplateError extends Error {
  constructor(readonly problems: TemplateProblem[]) {
    const first = problems
      .slice(0, 3)
      .map((p) => `line ${p.line}, column ${p.column}: ${p.message}`)
      .join("; ");
    const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : "";
    super(`The prompt template has ${problems.length === 1 ? "a problem" : `${problems.length} problems`}: ${first}${more}. Fix the template before starting the run.`);
    this.name = "TemplateError";
  }
}

/** A prompt description that does not fit the dataset (missing examples, wrong format, bad numbers). */
export class PromptSpecError extends Error {
  constructor(readonly problems: string[]) {
    const first = problems.slice(0, 3).join("; ");
    const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : "";
    super(`The prompt settings cannot be used: ${first}${more}. Change them before starting the run.`);
    this.name = "PromptSpecError";
  }
}

// --- Template parsing ---------------------------------------------------------------------------

export type TemplatePart = { kind: "literal"; text: string } | { kind: "placeholder"; name: PlaceholderName };

function locate(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * Parses a template; placeholders are `{name}`, literal braces are written `{{` and `}}`
 * (Python's `str.format` convention, familiar to anyone who has written a prompt template).
 * Returns every problem rather than the first, so an editor can mark them all.
 */
export function parseTemplate(text: string): { parts: TemplatePart[]; problems: TemplateProblem[] } {
  const parts: TemplatePart[] = [];
  const problems: TemplateProblem[] = [];
  let literal = "";
  let sawCode = false;
  const problem = (offset: number, message: string, placeholder?: string) =>
    problems.push({ message, offset, ...locate(text, offset), ...(placeholder === undefined ? {} : { placeholder }) });

  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === "{" && text[i + 1] === "{") {
      literal += "{";
      i += 2;
    } else if (ch === "}" && text[i + 1] === "}") {
      literal += "}";
      i += 2;
    } else if (ch === "}") {
      problem(i, "a `}` with no `{` before it (write `}}` for a literal brace)");
      i++;
    } else if (ch === "{") {
      // A placeholder never spans lines or nests, so the first `{`, `}` or newline decides.
      let j = i + 1;
      while (j < text.length && text[j] !== "}" && text[j] !== "{" && text[j] !== "\n") j++;
      if (text[j] !== "}") {
        problem(i, "a `{` that is never closed (write `{{` for a literal brace)");
        literal += "{";
        i++;
        continue;
      }
      const written = text.slice(i, j + 1);
      const name = text.slice(i + 1, j);
      if (name === "") problem(i, "an empty placeholder `{}` (name one of: " + Object.keys(CUSTOM_PLACEHOLDERS).join(", ") + ")", written);
      else if (!Object.hasOwn(CUSTOM_PLACEHOLDERS, name))
        problem(i, `unknown placeholder \`${written}\` (known: ${Object.keys(CUSTOM_PLACEHOLDERS).map((k) => `{${k}}`).join(", ")}; write \`{{\` and \`}}\` for literal braces)`, written);
      else if (name === "code" && sawCode) problem(i, "`{code}` appears more than once (it marks the single place the answer goes)", written);
      else {
        if (name === "code") sawCode = true;
        if (literal) parts.push({ kind: "literal", text: literal });
        literal = "";
        parts.push({ kind: "placeholder", name: name as PlaceholderName });
      }
      i = j + 1;
    } else {
      literal += ch;
      i++;
    }
  }
  if (literal) parts.push({ kind: "literal", text: literal });

  return { parts, problems };
}

/** Throws {@link TemplateError} when the template has any problem. */
export function checkTemplate(text: string): TemplatePart[] {
  const { parts, problems } = parseTemplate(text);
  if (problems.length) throw new TemplateError(problems);
  return parts;
}

// --- Filling a template -------------------------------------------------------------------------

interface Compiled {
  /** Up to `{code}` (or the whole template when it has none). */
  question: TemplatePart[];
  /** After `{code}`; null when the template has no `{code}`. */
  after: TemplatePart[] | null;
}

function compile(text: string): Compiled {
  const parts = checkTemplate(text);
  const at = parts.findIndex((p) => p.kind === "placeholder" && p.name === "code");
  return at === -1 ? { question: parts, after: null } : { question: parts.slice(0, at), after: parts.slice(at + 1) };
}

function shownTests(task: Task, testsShown: number): string {
  return task.tests.slice(0, testsShown).join("\n");
}

/** An example's answer: the reference as a whole program (HumanEval keeps its body apart from the prompt). */
function exampleCode(task: Task): string {
  return task.format === "humaneval" ? `${task.prompt ?? ""}${task.reference}` : task.reference;
}

function fill(parts: readonly TemplatePart[], task: Task, testsShown: number): string {
  let out = "";
  for (const p of parts) {
    if (p.kind === "literal") {
      out += p.text;
      continue;
    }
    switch (p.name) {
      case "text":
        out += task.text;
        break;
      case "tests":
        out += shownTests(task, testsShown);
        break;
      case "code":
        out += exampleCode(task);
        break;
      case "entry_point":
        out += task.entryPoint ?? "";
        break;
      case "prompt":
        out += task.prompt ?? "";
        break;
      case "task_id":
        out += task.id;
        break;
    }
  }
  return out;
}

const usesPlaceholder = (parts: readonly TemplatePart[] | null, name: PlaceholderName) =>
  parts?.some((p) => p.kind === "placeholder" && p.name === name) ?? false;

// --- Example selection --------------------------------------------------------------------------

/** mulberry32: a tiny, well-mixed 32-bit PRNG; the same seed gives the same draw everywhere. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over UTF-16 code units: mixes a task id into a per-task seed. */
function hashString(s: string, h = 0x811c9dc5): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Numeric ids in numeric order, others after them in code-unit order: independent of file order. */
function compareIds(a: string, b: string): number {
  const na = /^\d+$/.test(a) ? Number(a) : NaN;
  const nb = /^\d+$/.test(b) ? Number(b) : NaN;
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  if (!Number.isNaN(na)) return -1;
  if (!Number.isNaN(nb)) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  const rnd = mulberry32(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function poolOf(selection: Extract<ShotSelection, { kind: "seeded" }>, tasks: readonly Task[]): Task[] {
  return tasks.filter((t) => t.split === selection.pool).sort((a, b) => compareIds(a.id, b.id));
}

/**
 * The ordered candidates a task's examples are taken from: the fixed ids, or the seeded
 * permutation of the pool. The first `shots` that are not the asked task are used, so excluding
 * it never changes which other examples appear or their order.
 */
class ShotPicker {
  readonly #byId: Map<string, Task>;
  #pool: Task[] | null = null;
  #runOrder: Task[] | null = null;

  constructor(
    private readonly spec: PromptSpec,
    private readonly tasks: readonly Task[],
  ) {
    this.#byId = new Map(tasks.map((t) => [t.id, t]));
  }

  candidates(target: Task): Task[] {
    const sel = this.spec.selection;
    if (sel.kind === "fixed") return sel.ids.flatMap((id) => this.#byId.get(id) ?? []);
    this.#pool ??= poolOf(sel, this.tasks);
    if (sel.perTask) return shuffled(this.#pool, (sel.seed ^ hashString(target.id)) >>> 0);
    this.#runOrder ??= shuffled(this.#pool, sel.seed >>> 0);
    return this.#runOrder;
  }

  pick(target: Task): Task[] {
    if (this.spec.shots === 0) return [];
    const out: Task[] = [];
    for (const t of this.candidates(target)) {
      if (out.length === this.spec.shots) break;
      if (t.id !== target.id) out.push(t);
    }
    return out;
  }
}

/** The worked examples shown before `target`, in order (never `target` itself). */
export function selectShots(spec: PromptSpec, target: Task, tasks: readonly Task[]): Task[] {
  return new ShotPicker(spec, tasks).pick(target);
}

// --- Validation ---------------------------------------------------------------------------------

function customTemplateOf(spec: PromptSpec): CustomTemplate | undefined {
  return spec.template === "custom" ? spec.custom : undefined;
}

/**
 * Everything that can be known before a run starts. `tasks` is the whole dataset (where examples
 * come from); `targets` are the tasks the run will ask (each is checked: its examples, the fields
 * the template needs).
 * Throws {@link TemplateError} for a custom template's text, {@link PromptSpecError} otherwise.
 */
export function validatePromptSpec(spec: PromptSpec, tasks: readonly Task[], targets: readonly Task[]): void {
  const problems: string[] = [];
  if (!KNOWN_KINDS.includes(spec.template)) {
    throw new PromptSpecError([`unknown template kind "${String(spec.template)}" (known: ${KNOWN_KINDS.join(", ")}); this run was described by another version of the app`]);
  }
  if (spec.template === "mathqa") problems.push(...mathqaPromptProblems(targets));
  if (!Number.isInteger(spec.shots) || spec.shots < 0) problems.push(`the number of examples must be a whole number ≥ 0 (got ${spec.shots})`);
  if (!Number.isInteger(spec.testsShown) || spec.testsShown < 0 || spec.testsShown > 3) problems.push(`the number of tests shown must be 0, 1, 2 or 3 (got ${spec.testsShown})`);

  let compiled: Compiled | null = null;
  const custom = customTemplateOf(spec);
  if (spec.template === "custom") {
    if (!custom || typeof custom.text !== "string" || custom.text.trim() === "") problems.push("a custom prompt needs a template text");
    else {
      compiled = compile(custom.text); // throws TemplateError
      if (custom.form !== "completion" && custom.form !== "chat") problems.push(`a custom template's form must be "completion" or "chat" (got "${String(custom.form)}")`);
      if (spec.shots > 0 && !compiled.after) problems.push("a template with examples needs `{code}` to mark where each example's answer goes (or set examples to 0)");
    }
  }

  const sel = spec.selection as ShotSelection | undefined;
  if (spec.shots > 0) {
    if (!sel || typeof sel !== "object") problems.push("examples were asked for but no way of choosing them was given (fixed ids or a seeded draw)");
    else if (sel.kind === "fixed") {
      const known = new Set(tasks.map((t) => t.id));
      const missing = sel.ids.filter((id) => !known.has(id));
      if (missing.length) problems.push(`example task(s) ${missing.join(", ")} are not in this dataset`);
      if (sel.ids.length < spec.shots) problems.push(`${spec.shots} examples were asked for but only ${sel.ids.length} task id(s) are listed`);
    } else if (sel.kind === "seeded") {
      if (!Number.isInteger(sel.seed)) problems.push(`the example seed must be a whole number (got ${sel.seed})`);
      if (sel.pool !== "prompt" && sel.pool !== "train") problems.push(`examples can be drawn from the "prompt" or "train" split (got "${String(sel.pool)}")`);
      const size = poolOf(sel, tasks).length;
      if (size < spec.shots) problems.push(`the ${sel.pool} split has ${size} task(s), fewer than the ${spec.shots} examples asked for`);
    } else problems.push("the example selection must be fixed ids or a seeded draw");
  }

  const isMbppKind = spec.template === "mbpp-paper" || spec.template === "mbpp-chat";
  const isHumanEvalKind = spec.template === "humaneval" || spec.template === "humaneval-chat";
  if (isHumanEvalKind && spec.shots > 0) problems.push("the HumanEval prompt is zero-shot (HumanEval has no split to take examples from); set examples to 0");

  const wrongFormat: string[] = [];
  const noPrompt: string[] = [];
  const noEntry: string[] = [];
  const short: string[] = [];
  const picker = new ShotPicker(spec, tasks);
  const shotTasks = new Map<string, Task>();
  for (const t of targets) {
    if (isMbppKind && t.format !== "assert") wrongFormat.push(t.id);
    if (isHumanEvalKind && (t.format !== "humaneval" || t.prompt === undefined)) wrongFormat.push(t.id);
    if (spec.shots > 0 && problems.length === 0) {
      const shots = picker.pick(t);
      if (shots.length < spec.shots) short.push(t.id);
      for (const s of shots) shotTasks.set(s.id, s);
    }
  }
  if (compiled) {
    const all = [...targets, ...shotTasks.values()];
    const parts = [...compiled.question, ...(compiled.after ?? [])];
    if (usesPlaceholder(parts, "prompt")) for (const t of all) if (t.prompt === undefined) noPrompt.push(t.id);
    if (usesPlaceholder(parts, "entry_point")) for (const t of all) if (!t.entryPoint) noEntry.push(t.id);
  }
  for (const t of shotTasks.values()) if (isMbppKind && t.format !== "assert") wrongFormat.push(t.id);

  const list = (all: string[]) => {
    const ids = [...new Set(all)];
    return `${ids.slice(0, 5).join(", ")}${ids.length > 5 ? ` and ${ids.length - 5} more` : ""}`;
  };
  if (wrongFormat.length)
    problems.push(
      `the ${spec.template} prompt does not fit task(s) ${list(wrongFormat)} (${isMbppKind ? "it needs MBPP-style tasks with assert tests" : "it needs HumanEval tasks with a code prompt"}); pick the matching template`,
    );
  if (short.length) problems.push(`task(s) ${list(short)} would get fewer than ${spec.shots} examples once the task itself is left out; list more example ids or lower the number`);
  if (noPrompt.length) problems.push(`the template uses {prompt} but task(s) ${list(noPrompt)} have no code prompt (only HumanEval tasks do)`);
  if (noEntry.length) problems.push(`the template uses {entry_point} but the function name of task(s) ${list(noEntry)} is unknown`);
  if (problems.length) throw new PromptSpecError(problems);
}

// --- Rendering ----------------------------------------------------------------------------------

export interface RenderedPrompt {
  prompt: Prompt;
  /** Passed to the engine as `GenerateRequest.stop`; the extractor also cuts at them. */
  stop: string[];
  /** The tasks shown as examples, in order: kept with the sample so a prompt can be reconstructed. */
  shotIds: string[];
}

function fence(code: string): string {
  return "```python\n" + code + "\n```";
}

function renderWith(template: CustomTemplate, compiled: Compiled, shots: readonly Task[], task: Task, testsShown: number, system?: string): Omit<RenderedPrompt, "shotIds"> {
  const after = compiled.after;
  const stopAfter = after ? fill(after, task, testsShown).replace(/^\s+/, "") : "";
  const stop = template.stop ?? (stopAfter ? [stopAfter] : []);
  if (template.form === "chat") {
    const messages: ChatMessage[] = system ? [{ role: "system", content: system }] : [];
    for (const s of shots) {
      messages.push({ role: "user", content: fill(compiled.question, s, testsShown).trimEnd() });
      messages.push({ role: "assistant", content: fence(exampleCode(s)) });
    }
    messages.push({ role: "user", content: fill(compiled.question, task, testsShown).trimEnd() });
    return { prompt: { kind: "chat", messages }, stop };
  }
  const sep = template.separator ?? SHOT_SEPARATOR;
  let text = "";
  for (const s of shots) text += fill(compiled.question, s, testsShown) + exampleCode(s) + fill(after ?? [], s, testsShown) + sep;
  text += fill(compiled.question, task, testsShown);
  return { prompt: { kind: "completion", text }, stop };
}

const compiledCache = new Map<string, Compiled>();
function compileCached(text: string): Compiled {
  let c = compiledCache.get(text);
  if (!c) {
    c = compile(text);
    if (compiledCache.size > 64) compiledCache.clear();
    compiledCache.set(text, c);
  }
  return c;
}

function renderOne(spec: PromptSpec, task: Task, shots: readonly Task[]): Omit<RenderedPrompt, "shotIds"> {
  const system = spec.system?.trim() ? spec.system : undefined;
  switch (spec.template) {
    case "mbpp-paper": {
      const text = spec.testsShown === 0 ? MBPP_PAPER_TEMPLATE_NO_TESTS : MBPP_PAPER_TEMPLATE;
      return renderWith({ text, form: "completion" }, compileCached(text), shots, task, spec.testsShown);
    }
    case "mbpp-chat": {
      const question = (spec.testsShown === 0 ? MBPP_CHAT_QUESTION_NO_TESTS : MBPP_CHAT_QUESTION) + "\n\n" + FENCE_REQUEST.replace(/[{}]/g, (b) => b + b);
      return renderWith({ text: question, form: "chat", stop: [] }, compileCached(question), shots, task, spec.testsShown, system);
    }
    case "humaneval":
      return { prompt: { kind: "completion", text: task.prompt ?? "" }, stop: [...HUMANEVAL_STOP] };
    case "humaneval-chat": {
      const messages: ChatMessage[] = system ? [{ role: "system", content: system }] : [];
      messages.push({ role: "user", content: `${HUMANEVAL_CHAT_REQUEST}\n\n${fence((task.prompt ?? "").trimEnd())}` });
      return { prompt: { kind: "chat", messages }, stop: [] };
    }
    case "custom": {
      const custom = spec.custom!;
      return renderWith(custom, compileCached(custom.text), shots, task, spec.testsShown, system);
    }
    case "mathqa":
      return renderMathqaPrompt(task, shots);
  }
}

/**
 * Validates once (throwing {@link TemplateError} / {@link PromptSpecError}), then renders any task.
 * `tasks` is the whole dataset; `targets` the tasks the run asks. A task outside `targets` still
 * renders, possibly with fewer examples than asked (see `shotIds`).
 */
export function createRenderer(spec: PromptSpec, tasks: readonly Task[], targets: readonly Task[]): (task: Task) => RenderedPrompt {
  validatePromptSpec(spec, tasks, targets);
  const picker = new ShotPicker(spec, tasks);
  return (task) => {
    const shots = picker.pick(task);
    return { ...renderOne(spec, task, shots), shotIds: shots.map((s) => s.id) };
  };
}

/** One task, validated against the dataset first. For many tasks use {@link createRenderer}. */
export function renderPrompt(spec: PromptSpec, task: Task, tasks: readonly Task[]): RenderedPrompt {
  return createRenderer(spec, tasks, [task])(task);
}

/** How the model is asked, which decides how its answer is read (`extractCode`'s `form`). */
export function promptForm(spec: PromptSpec): "completion" | "chat" {
  switch (spec.template) {
    case "mbpp-chat":
    case "humaneval-chat":
      return "chat";
    case "custom":
      return spec.custom?.form ?? "completion";
    default:
      return "completion";
  }
}

/** The prompt as one text, for showing and copying: a completion verbatim, a chat turn by turn. */
export function promptPreview(prompt: Prompt): string {
  if (prompt.kind === "completion") return prompt.text;
  return prompt.messages.map((m) => `### ${m.role}\n${m.content}`).join("\n\n");
}
