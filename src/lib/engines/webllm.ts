import type {
  AppConfig,
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatOptions,
  Completion as WebLLMCompletion,
  CompletionCreateParams,
  CompletionUsage,
  InitProgressReport,
  ModelRecord,
} from "@mlc-ai/web-llm";
import { DeviceLostError, EngineError, EngineNotLoadedError, WebLLMError, errorText, translateWebLLMError } from "./errors.ts";
import { validateRequest } from "./request.ts";
import { catalogModel, f32Alternative, quantisationOf, WEBLLM_VERSION } from "./models.ts";
import { EngineQueue } from "./queue.ts";
import {
  abortError,
  isAbortError,
  type Completion,
  type Engine,
  type EngineDescription,
  type FinishReason,
  type GenerateRequest,
  type LoadProgress,
  type ProgressListener,
} from "./types.ts";

/**
 * The part of web-llm's MLCEngineInterface this engine calls. `WebWorkerMLCEngine` satisfies
 * it; unit tests pass `MLCEngineTestDouble`.
 */
export interface WebLLMLike {
  reload(modelId: string, chatOpts?: ChatOptions): Promise<void>;
  completions: { create(request: CompletionCreateParams): Promise<WebLLMCompletion | AsyncIterable<WebLLMCompletion>> };
  chat: { completions: { create(request: ChatCompletionRequest): Promise<ChatCompletion | AsyncIterable<ChatCompletionChunk>> } };
  interruptGenerate(): void;
  unload(): Promise<void>;
  setInitProgressCallback(cb: (report: InitProgressReport) => void): void;
}

export type MappedRequest = { kind: "completion"; body: CompletionCreateParams } | { kind: "chat"; body: ChatCompletionRequest };

/**
 * The web-llm request for one sample. Every sampling field is explicit: left unset, web-llm takes
 * temperature, top_p and the penalties from the model's mlc-chat-config.json and generates until
 * the context is full (RUNTIME_FACTS §7).
 */
export function mapRequest(req: GenerateRequest, stream = false): MappedRequest {
  validateRequest(req);
  const common = {
    temperature: req.temperature,
    top_p: req.topP,
    repetition_penalty: req.repetitionPenalty,
    frequency_penalty: 0,
    presence_penalty: 0,
    max_tokens: req.maxTokens,
    stop: [...req.stop],
    seed: req.seed,
    n: 1,
    ...(stream ? { stream: true as const, stream_options: { include_usage: true } } : { stream: false as const }),
  };
  if (req.prompt.kind === "completion") return { kind: "completion", body: { prompt: req.prompt.text, ...common } };
  return {
    kind: "chat",
    body: {
      messages: req.prompt.messages.map((m) => ({ role: m.role, content: m.content })),
      ...common,
      ...(req.thinking !== undefined ? { extra_body: { enable_thinking: req.thinking } } : {}),
    } as ChatCompletionRequest,
  };
}

function finishReason(r: string | null | undefined): FinishReason {
  return r === "length" || r === "abort" ? r : "stop";
}

function timingsFrom(usage: CompletionUsage | undefined, totalMs: number): Completion["timings"] {
  const x = usage?.extra;
  return {
    totalMs,
    ...(x?.prefill_tokens_per_s !== undefined ? { prefillTokensPerS: x.prefill_tokens_per_s } : {}),
    ...(x?.decode_tokens_per_s !== undefined ? { decodeTokensPerS: x.decode_tokens_per_s } : {}),
    ...(x?.time_to_first_token_s !== undefined ? { timeToFirstTokenMs: x.time_to_first_token_s * 1000 } : {}),
  };
}

const PHASES: [RegExp, LoadProgress["phase"]][] = [
  [/^Start to fetch params/, "download"],
  [/^Fetching param cache/, "download"],
  [/^Loading model from cache/, "load"],
  [/^Loading GPU shader modules/, "shaders"],
  [/^Finish loading/, "ready"],
];

/**
 * web-llm's progress report → LoadProgress. `progress` restarts at 0 in each phase and the text
 * carries the megabytes ("Fetching param cache[3/20]: 120MB fetched. 25% completed, 8 secs
 * elapsed. …", lib/index.js ~8200), from which the total and an ETA follow.
 */
export function progressFromReport(report: InitProgressReport, elapsedMs: number, phaseStartMs?: number): LoadProgress {
  const phase = PHASES.find(([re]) => re.test(report.text))?.[1] ?? "check";
  const fraction = Math.min(1, Math.max(0, Number.isFinite(report.progress) ? report.progress : 0));
  const p: LoadProgress = { phase, fraction: phase === "ready" ? 1 : fraction, elapsedMs, text: report.text };
  const mb = /(\d+)MB (?:fetched|loaded)/.exec(report.text);
  if (mb && (phase === "download" || phase === "load")) {
    p.bytesLoaded = Number(mb[1]) * 2 ** 20;
    if (fraction > 0) p.bytesTotal = Math.round(p.bytesLoaded / fraction);
  }
  // web-llm's timeElapsed is seconds since the phase began; fall back to our own clock.
  const inPhaseMs = report.timeElapsed > 0 ? report.timeElapsed * 1000 : phaseStartMs !== undefined ? elapsedMs - phaseStartMs : 0;
  if (phase !== "ready" && fraction > 0.01 && fraction < 1 && inPhaseMs > 0) p.etaMs = Math.round((inPhaseMs * (1 - fraction)) / fraction);
  return p;
}

export interface WebLLMEngineOptions {
  modelId: string;
  /** A custom model's record (already added to the engine's appConfig by the factory). */
  record?: ModelRecord;
  chatOpts?: ChatOptions;
  /** Called after unload(): the factory terminates its worker here. */
  dispose?: () => void;
  /** How often a Stop re-sends interruptGenerate until the request ends (an early one is lost). */
  interruptRetryMs?: number;
  now?: () => number;
}

type State = "unloaded" | "loading" | "ready" | "lost";

/** web-llm behind the Engine interface. Construct with `createWebWorkerWebLLM` in the browser. */
export class WebLLMEngine implements Engine {
  private readonly queue = new EngineQueue();
  private state: State = "unloaded";
  private crash?: { promise: Promise<never>; fail: (e: unknown) => void };
  private readonly now: () => number;

  constructor(
    private readonly engine: WebLLMLike,
    private readonly opts: WebLLMEngineOptions,
  ) {
    this.now = opts.now ?? (() => performance.now());
    this.resetCrash();
  }

  get pendingRequests(): number {
    return this.queue.pending;
  }

  get loaded(): boolean {
    return this.state === "ready";
  }

  describe(): EngineDescription {
    const m = catalogModel(this.opts.modelId);
    const ctx = this.opts.chatOpts?.context_window_size ?? this.opts.record?.overrides?.context_window_size ?? m?.contextWindow;
    return {
      kind: "webllm",
      modelId: this.opts.modelId,
      quantisation: m?.quantisation ?? quantisationOf(this.opts.modelId),
      libraries: { "@mlc-ai/web-llm": WEBLLM_VERSION },
      ...(ctx ? { contextWindow: ctx } : {}),
      ...(this.opts.record ? { detail: { weights: this.opts.record.model, modelLib: this.opts.record.model_lib } } : {}),
    };
  }

  /**
   * The worker died or failed to start: every waiting and future call rejects with `e` instead of
   * hanging (web-llm's worker client never settles a request whose worker is gone).
   */
  fail(e: unknown): void {
    this.state = "lost";
    this.crash?.fail(e);
    this.queue.clear(e);
  }

  private resetCrash(): void {
    let fail!: (e: unknown) => void;
    const promise = new Promise<never>((_, reject) => (fail = reject));
    promise.catch(() => undefined);
    this.crash = { promise, fail };
  }

  private ctx(downloadStarted = false) {
    const m = catalogModel(this.opts.modelId);
    return {
      modelId: this.opts.modelId,
      vramRequiredMB: m?.vramMB ?? this.opts.record?.vram_required_MB,
      f32Alternative: f32Alternative(this.opts.modelId),
      downloadStarted,
    };
  }

  load(onProgress: ProgressListener, signal?: AbortSignal): Promise<void> {
    return this.queue.run(() => this.loadNow(onProgress, signal), signal);
  }

  private async loadNow(onProgress: ProgressListener, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw abortError(signal);
    if (this.state === "ready") return;
    const t0 = this.now();
    let downloadStarted = false;
    let phase: LoadProgress["phase"] | undefined;
    let phaseStart = 0;
    this.state = "loading";
    onProgress({ phase: "check", fraction: 0, elapsedMs: 0, text: `Loading ${this.opts.modelId}…` });
    this.engine.setInitProgressCallback((report) => {
      const elapsed = this.now() - t0;
      const p = progressFromReport(report, elapsed, phase === undefined ? undefined : phaseStart);
      if (p.phase !== phase) {
        phase = p.phase;
        phaseStart = elapsed;
      }
      if (p.phase === "download" && p.fraction > 0) downloadStarted = true;
      onProgress(p);
    });
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        // unload() aborts an in-progress reload (RUNTIME_FACTS §7); its own outcome no longer matters.
        this.engine.unload().catch(() => undefined);
        reject(abortError(signal));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    const reload = this.engine.reload(this.opts.modelId, this.opts.chatOpts);
    reload.catch(() => undefined);
    try {
      await Promise.race([reload, aborted, this.crash!.promise]);
      this.state = "ready";
      onProgress({ phase: "ready", fraction: 1, elapsedMs: this.now() - t0, text: `${this.opts.modelId} is ready.` });
    } catch (e) {
      // fail() may have run meanwhile; TS cannot see that.
      if ((this.state as State) !== "lost") this.state = "unloaded";
      if (isAbortError(e) && signal?.aborted) throw e;
      throw translateWebLLMError(e, this.ctx(downloadStarted));
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  generate(req: GenerateRequest, signal?: AbortSignal): Promise<Completion> {
    return this.queue.run(() => this.run(req, signal), signal);
  }

  stream(req: GenerateRequest, onDelta: (delta: string) => void, signal?: AbortSignal): Promise<Completion> {
    return this.queue.run(() => this.run(req, signal, onDelta), signal);
  }

  private async run(req: GenerateRequest, signal: AbortSignal | undefined, onDelta?: (delta: string) => void): Promise<Completion> {
    if (signal?.aborted) throw abortError(signal);
    if (this.state === "lost") throw new DeviceLostError(this.opts.modelId, this.ctx().vramRequiredMB);
    if (this.state !== "ready") throw new EngineNotLoadedError(this.opts.modelId);
    const mapped = mapRequest(req, onDelta !== undefined);
    const t0 = this.now();
    // interruptGenerate is lost if it arrives before web-llm starts the request (the flag resets
    // at request start), so keep sending it until the request ends.
    let timer: ReturnType<typeof setInterval> | undefined;
    const onAbort = () => {
      this.engine.interruptGenerate();
      timer = setInterval(() => this.engine.interruptGenerate(), this.opts.interruptRetryMs ?? 100);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    let text = "";
    try {
      const work = onDelta ? this.streamed(mapped, req.seed, t0, onDelta, (t) => (text = t)) : this.whole(mapped, req.seed, t0);
      return await Promise.race([work, this.crash!.promise]);
    } catch (e) {
      const err = translateWebLLMError(e, this.ctx());
      if (err instanceof DeviceLostError) this.state = "lost";
      if (text && !(err instanceof DeviceLostError)) {
        return { text, finishReason: "error", error: err.message, usage: { promptTokens: 0, completionTokens: 0 }, timings: { totalMs: this.now() - t0 }, seed: req.seed };
      }
      throw err;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      if (timer !== undefined) clearInterval(timer);
    }
  }

  private async whole(mapped: MappedRequest, seed: number, t0: number): Promise<Completion> {
    let text: string;
    let reason: string | null | undefined;
    let usage: CompletionUsage | undefined;
    if (mapped.kind === "completion") {
      const res = (await this.engine.completions.create(mapped.body)) as WebLLMCompletion;
      text = res.choices[0]?.text ?? "";
      reason = res.choices[0]?.finish_reason;
      usage = res.usage;
    } else {
      const res = (await this.engine.chat.completions.create(mapped.body)) as ChatCompletion;
      text = res.choices[0]?.message.content ?? "";
      reason = res.choices[0]?.finish_reason;
      usage = res.usage;
    }
    return {
      text,
      finishReason: finishReason(reason),
      usage: { promptTokens: usage?.prompt_tokens ?? 0, completionTokens: usage?.completion_tokens ?? 0 },
      timings: timingsFrom(usage, this.now() - t0),
      seed,
    };
  }

  private async streamed(mapped: MappedRequest, seed: number, t0: number, onDelta: (d: string) => void, keep: (text: string) => void): Promise<Completion> {
    let text = "";
    let reason: string | null | undefined;
    let usage: CompletionUsage | undefined;
    const take = (delta: string | null | undefined, r: string | null | undefined, u: CompletionUsage | undefined) => {
      if (delta) {
        text += delta;
        keep(text);
        onDelta(delta);
      }
      if (r) reason = r;
      if (u) usage = u;
    };
    if (mapped.kind === "completion") {
      const chunks = (await this.engine.completions.create(mapped.body)) as AsyncIterable<WebLLMCompletion>;
      for await (const c of chunks) take(c.choices[0]?.text, c.choices[0]?.finish_reason, c.usage);
    } else {
      const chunks = (await this.engine.chat.completions.create(mapped.body)) as AsyncIterable<ChatCompletionChunk>;
      for await (const c of chunks) take(c.choices[0]?.delta.content, c.choices[0]?.finish_reason, c.usage);
    }
    return {
      text,
      finishReason: finishReason(reason),
      usage: { promptTokens: usage?.prompt_tokens ?? 0, completionTokens: usage?.completion_tokens ?? 0 },
      timings: timingsFrom(usage, this.now() - t0),
      seed,
    };
  }

  async unload(): Promise<void> {
    const reason = new EngineNotLoadedError(this.opts.modelId);
    this.queue.clear(reason);
    this.state = "unloaded";
    try {
      await Promise.race([this.engine.unload(), this.crash!.promise]);
    } catch (e) {
      // Unloading a dead worker is fine; anything else is worth seeing.
      if (!(e instanceof EngineError)) throw new WebLLMError(errorText(e));
    } finally {
      this.opts.dispose?.();
    }
  }
}

// --- Browser factory and cache helpers -----------------------------------------------------------

export interface WebWorkerWebLLMOptions {
  /** A custom model (models.ts customModelRecord); its model_id must equal `modelId`. */
  record?: ModelRecord;
  chatOpts?: ChatOptions;
  cacheBackend?: AppConfig["cacheBackend"];
}

/**
 * Spawns workers/llm.worker.ts and wraps web-llm's WebWorkerMLCEngine. web-llm (6 MB) is imported
 * here, lazily, so it never delays the first page. Nothing is downloaded until `load()`.
 */
export async function createWebWorkerWebLLM(modelId: string, options: WebWorkerWebLLMOptions = {}): Promise<WebLLMEngine> {
  const webllm = await import("@mlc-ai/web-llm");
  const worker = new Worker(new URL("../../../workers/llm.worker.ts", import.meta.url), { type: "module", name: `web-llm ${modelId}` });
  const appConfig: AppConfig = {
    ...webllm.prebuiltAppConfig,
    ...(options.cacheBackend ? { cacheBackend: options.cacheBackend } : {}),
    model_list: options.record ? [...webllm.prebuiltAppConfig.model_list, options.record] : webllm.prebuiltAppConfig.model_list,
  };
  const engine = new webllm.WebWorkerMLCEngine(worker, { appConfig });
  const wrapped = new WebLLMEngine(engine, {
    modelId,
    ...(options.record ? { record: options.record } : {}),
    ...(options.chatOpts ? { chatOpts: options.chatOpts } : {}),
    dispose: () => worker.terminate(),
  });
  worker.addEventListener("error", (ev) => {
    ev.preventDefault();
    wrapped.fail(new WebLLMError(`the model worker stopped: ${ev.message || "it failed to load (see the browser console)"}. Reload the page and try again.`));
  });
  return wrapped;
}

function appConfigWith(record?: ModelRecord, base?: AppConfig): AppConfig | undefined {
  if (!record || !base) return undefined;
  return { ...base, model_list: [...base.model_list, record] };
}

/** Which of `modelIds` have their weights in the browser cache (web-llm's hasModelInCache). */
export async function cachedModels(modelIds: readonly string[], record?: ModelRecord): Promise<Map<string, boolean>> {
  const webllm = await import("@mlc-ai/web-llm");
  const cfg = appConfigWith(record, webllm.prebuiltAppConfig);
  const out = new Map<string, boolean>();
  for (const id of modelIds) {
    try {
      out.set(id, await webllm.hasModelInCache(id, cfg));
    } catch {
      out.set(id, false);
    }
  }
  return out;
}

/** Deletes a model's weights, config and library from the browser cache. */
export async function deleteCachedModel(modelId: string, record?: ModelRecord): Promise<void> {
  const webllm = await import("@mlc-ai/web-llm");
  await webllm.deleteModelAllInfoInCache(modelId, appConfigWith(record, webllm.prebuiltAppConfig));
}

export interface StorageInfo {
  usageBytes: number;
  quotaBytes: number;
  /** Whether the browser promised not to evict our storage. */
  persisted?: boolean;
}

interface StorageManagerLike {
  estimate(): Promise<{ usage?: number; quota?: number }>;
  persisted?(): Promise<boolean>;
}

/** Storage used and available for this site (navigator.storage.estimate); undefined where unsupported. */
export async function storageInfo(storage: StorageManagerLike | undefined = globalThis.navigator?.storage): Promise<StorageInfo | undefined> {
  if (!storage?.estimate) return undefined;
  const { usage = 0, quota = 0 } = await storage.estimate();
  const persisted = storage.persisted ? await storage.persisted().catch(() => undefined) : undefined;
  return { usageBytes: usage, quotaBytes: quota, ...(persisted !== undefined ? { persisted } : {}) };
}
