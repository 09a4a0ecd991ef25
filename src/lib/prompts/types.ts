/**
 * # Prompt descriptions
 *
 * A {@link PromptSpec} is plain JSON: it is stored in every run's spec (`RunSpec.prompt`), so a run
 * can be re-rendered byte for byte from it and the dataset alone. Rendering lives in `render.ts`.
 *
 * Template kinds:
 * - `mbpp-paper` — Austin et al. 2021's raw few-shot prompt (google-research `mbpp/README.md`),
 *   identical to lm-evaluation-harness's `mbpp` task; the default (see {@link defaultPromptSpec}).
 * - `mbpp-chat` — the same content as chat turns, asking for a fenced ```python block.
 * - `humaneval` — the task's `prompt` (signature + docstring), continued by the model.
 * - `humaneval-chat` — that prompt as a chat request for the complete function.
 * - `mathqa` — the paper's MathQA-Python form (`mathqa.ts`): solved problems as comment + program, then the asked problem.
 * - `custom` — a user-edited template with named placeholders (see `CUSTOM_PLACEHOLDERS`).
 *
 * The union is open on purpose: a stored spec with a kind this build does not know is rejected by
 * `validatePromptSpec` with a message, not silently rendered as something else.
 */
export type TemplateKind = "mbpp-paper" | "mbpp-chat" | "humaneval" | "humaneval-chat" | "mathqa" | "custom";

/**
 * Which tasks serve as worked examples. The task being asked is never one of them.
 * - `fixed`: these task ids, in this order; the first `shots` that are not the target are used.
 * - `seeded`: a deterministic draw (a seeded PRNG, `render.ts`) from the dataset's `prompt`
 *   split (MBPP 1–10) or `train` split (MBPP 601–974). With `perTask` false (the default) every
 *   task gets the same examples, so a seed names one prompt; with `perTask` true each task gets
 *   its own draw, derived from the seed and the task id (so the order tasks run in never matters).
 */
export type ShotSelection =
  | { kind: "fixed"; ids: string[] }
  | { kind: "seeded"; seed: number; pool: "prompt" | "train"; perTask?: boolean };

/** A user-edited template; see `render.ts` for the placeholder rules. */
export interface CustomTemplate {
  /**
   * One worked example. `{code}` marks where the answer goes: for an example it is the task's
   * reference solution, for the task being asked the prompt ends just before `{code}`.
   * Without `{code}` the template is the whole prompt and no examples can be shown.
   */
  text: string;
  /** `completion`: examples joined by `separator` in one text. `chat`: one user/assistant turn per example. */
  form: "completion" | "chat";
  /** Between examples in the completion form; lm-evaluation-harness's default is a blank line ("\n\n"). */
  separator?: string;
  /**
   * Where generation stops. Default: the text after `{code}` with leading whitespace removed
   * (for `...{code}\n[DONE]` that is `[DONE]`), or none when nothing follows `{code}`.
   */
  stop?: string[];
}

export interface PromptSpec {
  template: TemplateKind;
  /** Worked examples before the task (0 = zero-shot). */
  shots: number;
  selection: ShotSelection;
  /** How many of each task's tests are shown (0–3; MBPP has exactly 3 per task). */
  testsShown: number;
  /** Chat forms only: an optional system message. */
  system?: string;
  /** Required when `template` is `custom`, ignored otherwise. */
  custom?: CustomTemplate;
}

/** The paper's setting: 3-shot with MBPP tasks 2, 3 and 4, all three tests shown. A fresh object each call. */
export function defaultPromptSpec(): PromptSpec {
  return { template: "mbpp-paper", shots: 3, selection: { kind: "fixed", ids: ["2", "3", "4"] }, testsShown: 3 };
}
