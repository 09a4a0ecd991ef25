/**
 * # Engines: one interface for every source of completions
 *
 * Three kinds implement {@link Engine}:
 * - `webllm` — a model on the user's GPU through web-llm 0.2.86 in a Web Worker
 *   (`webllm.ts`: `createWebWorkerWebLLM(modelId)`, `WebLLMEngine`).
 * - `openai` — any OpenAI-compatible HTTP server: llama.cpp, Ollama, vLLM
 *   (`openai.ts`: `new OpenAICompatibleEngine({ baseUrl, model, apiKey })`).
 * - `replay` — samples generated elsewhere, or a dataset's reference solutions
 *   (`replay.ts`: `parseSamplesFile(...)` → `new ReplayEngine(source)`).
 *
 * ## Lifecycle (what a UI does)
 * ```ts
 * const gpu = await checkWebGPU();                        // gpu.ts — before any download
 * if (!gpu.ok) show(gpu.error.message);                   // a typed error from errors.ts
 * const id = pickVariant("Qwen2.5-Coder-0.5B-Instruct", gpu.hasF16)!.modelId;  // models.ts
 * const engine = await createWebWorkerWebLLM(id);         // lazily imports web-llm
 * const ctl = new AbortController();                      // Cancel button → ctl.abort()
 * await engine.load((p) => bar(p.fraction, p.etaMs, p.text), ctl.signal);
 * const c = await engine.generate({ prompt: { kind: "completion", text }, temperature: 0.5,
 *   topP: 0.95, maxTokens: 512, stop: ["[DONE]"], seed: 1, repetitionPenalty: 1 }, ctl.signal);
 * record(engine.describe(), c);                           // provenance + text, usage, timings
 * await engine.unload();
 * ```
 *
 * ## Contract
 * - **One sample per `generate` call.** n samples are n calls, each with its own `seed`, so each
 *   sample can be stored the moment it arrives. `Completion.seed` echoes the seed used.
 * - **Every sampling parameter is required** in {@link GenerateRequest}; engines pass all of them
 *   explicitly (web-llm otherwise falls back to the model's defaults and unbounded `max_tokens`).
 * - **Requests never interleave**: each engine runs its requests one at a time, in call order
 *   (`queue.ts`). `pendingRequests` says how many are waiting.
 * - **Abort** (the `signal` argument):
 *   - before the request started (still queued, or signal already aborted): `generate` rejects
 *     with a `DOMException` named `"AbortError"` and the request is removed from the queue;
 *   - while generating: `generate` resolves with `finishReason: "abort"` and the partial text.
 *   - `load` aborted: rejects with `"AbortError"`; the engine is left unloaded.
 * - **Errors** are typed classes from `errors.ts` (`EngineError` subclasses); each message says
 *   what happened and what to do. `error.retryable` says whether a Retry button makes sense.
 * - `describe()` goes into every run's provenance: engine kind, model id, quantisation and the
 *   versions of the libraries involved.
 * - `stream` (optional) calls `onDelta` with each piece of text as it arrives, then resolves with
 *   the same `Completion` that `generate` would.
 */

export type EngineKind = "webllm" | "openai" | "replay";

export interface EngineDescription {
  kind: EngineKind;
  /** web-llm model_id, the endpoint's model name, or `replay:<file name>`. */
  modelId: string;
  /** e.g. "q4f16_1"; `undefined` when the engine cannot know (a remote server). */
  quantisation?: string;
  /** Library name → version, e.g. `{ "@mlc-ai/web-llm": "0.2.86" }`. */
  libraries: Record<string, string>;
  /** OpenAI-compatible base URL (never the API key). */
  endpoint?: string;
  /** Context window in tokens, when known. */
  contextWindow?: number;
  /** Replay: what the samples came from (file name and format, or "reference solutions of mbpp"). */
  source?: string;
  /** Replay: sha256 of the imported file. Custom web-llm models: weights and library URLs. */
  detail?: Record<string, string>;
}

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** `completion`: raw text continued by the model (few-shot, base models). `chat`: the model's chat template. */
export type Prompt = { kind: "completion"; text: string } | { kind: "chat"; messages: ChatMessage[] };

export interface SamplingParams {
  /** 0 means greedy (web-llm turns it into 1e-6). */
  temperature: number;
  topP: number;
  /** Upper bound on generated tokens; always sent. */
  maxTokens: number;
  /** Strings that end the completion; not included in `Completion.text`. */
  stop: string[];
  /** Integer seed for this one sample. */
  seed: number;
  /** 1 means no penalty. */
  repetitionPenalty: number;
}

export interface GenerateRequest extends SamplingParams {
  prompt: Prompt;
  /** Replay engines: which stored sample to return. Other engines ignore it. */
  replayKey?: { taskId: string; sampleIndex: number };
  /** Qwen3 chat on web-llm: `false` stops it writing a `<think>` block (extra_body.enable_thinking). */
  thinking?: boolean;
}

export type FinishReason = "stop" | "length" | "abort" | "error";

export interface Completion {
  text: string;
  /** `error`: a stream broke after some text arrived; `error` holds why. */
  finishReason: FinishReason;
  usage: { promptTokens: number; completionTokens: number };
  timings: {
    /** Wall time of this request once it left the queue. */
    totalMs: number;
    prefillTokensPerS?: number;
    decodeTokensPerS?: number;
    timeToFirstTokenMs?: number;
  };
  seed: number;
  error?: string;
}

export type LoadPhase =
  /** Checking WebGPU / contacting the server / reading the samples. */
  | "check"
  /** Downloading weights into the browser cache (bytes known). */
  | "download"
  /** Copying cached weights to the GPU. */
  | "load"
  /** Compiling GPU shaders. */
  | "shaders"
  | "ready";

export interface LoadProgress {
  phase: LoadPhase;
  /** 0..1 within the phase. */
  fraction: number;
  bytesLoaded?: number;
  bytesTotal?: number;
  /** Since `load` was called. */
  elapsedMs: number;
  /** Estimated time left in this phase, when it can be estimated. */
  etaMs?: number;
  /** Human-readable line (web-llm's own text for web-llm phases). */
  text: string;
}

export type ProgressListener = (p: LoadProgress) => void;

export interface Engine {
  describe(): EngineDescription;
  load(onProgress: ProgressListener, signal?: AbortSignal): Promise<void>;
  generate(req: GenerateRequest, signal?: AbortSignal): Promise<Completion>;
  stream?(req: GenerateRequest, onDelta: (delta: string) => void, signal?: AbortSignal): Promise<Completion>;
  unload(): Promise<void>;
  /** Requests waiting behind the running one. */
  readonly pendingRequests: number;
}

/** Rejection value for work aborted before it started; same shape as `fetch`'s. */
export function abortError(signal?: AbortSignal): DOMException {
  const reason: unknown = signal?.reason;
  if (reason instanceof DOMException && reason.name === "AbortError") return reason;
  return new DOMException(typeof reason === "string" ? reason : "The request was cancelled.", "AbortError");
}

export function isAbortError(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { name?: unknown }).name === "AbortError";
}
