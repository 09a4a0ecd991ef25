import { getContext, setContext } from "svelte";
import { checkWebGPU, type GpuCheck } from "../lib/engines/gpu.ts";
import { catalogModel, customModelRecord, DEFAULT_FAMILY, f32Alternative, MODEL_CATALOG, pickVariant, type CatalogModel, type CustomModel, type CustomModelInput } from "../lib/engines/models.ts";
import { EngineError, ReplayFileError, ShaderF16UnavailableError, errorText } from "../lib/engines/errors.ts";
import { OpenAICompatibleEngine } from "../lib/engines/openai.ts";
import { parseSamplesFile, referenceSource, ReplayEngine, type BigcodeOrder, type ReplaySource } from "../lib/engines/replay.ts";
import { EngineSetupError, tokensPerSecond, trialRequests } from "../lib/engines/trial.ts";
import { isAbortError, type Completion, type Engine, type EngineDescription, type LoadProgress, type Prompt, type SamplingParams } from "../lib/engines/types.ts";
import type { StorageInfo } from "../lib/engines/webllm.ts";
import { GPU_CHECK_TASK_IDS, runGpuCheck, type GpuCheckRow } from "../lib/engines/gpucheck.ts";
import { programForTask } from "../lib/eval/program.ts";
import { extractCode } from "../lib/eval/extract.ts";
import { createRenderer } from "../lib/prompts/render.ts";
import { defaultPromptSpec } from "../lib/prompts/types.ts";
import type { Sandbox } from "../lib/python/types.ts";
import type { LineProblem } from "../lib/tasks/errors.ts";
import type { Dataset } from "../lib/tasks/types.ts";

export type EngineChoice = "webllm" | "openai" | "replay";
export type LoadStatus = "idle" | "loading" | "ready" | "failed";

export interface ShownError {
  message: string;
  /** A Retry button makes sense. */
  retryable: boolean;
  /** The error class, for tests and hints ("EndpointCorsError", …). */
  name: string;
  problems?: LineProblem[];
}

export interface OpenAISettings {
  baseUrl: string;
  model: string;
  apiKey: string;
  /** Keep the key in localStorage (the user opted in, after a warning). */
  rememberKey: boolean;
}

export interface TrialSample {
  seed: number;
  /** Replay: which stored sample. */
  sampleIndex: number;
  text: string;
  status: "waiting" | "running" | "done" | "failed";
  finishReason?: Completion["finishReason"];
  completionTokens?: number;
  tokensPerS?: number;
  /** Pieces received per second while streaming (about one per token). */
  liveRate?: number;
  totalMs?: number;
  error?: string;
}

const SETTINGS_KEY = "synthesis-playground:openai";

function shown(e: unknown): ShownError {
  if (e instanceof ReplayFileError) return { message: e.message, retryable: false, name: e.name, problems: e.problems };
  if (e instanceof EngineError) return { message: e.message, retryable: e.retryable, name: e.name };
  return { message: errorText(e) || "Something failed without saying why.", retryable: true, name: (e as Error)?.name ?? "Error" };
}

function readSettings(): OpenAISettings {
  const fallback: OpenAISettings = { baseUrl: "http://localhost:8080/v1", model: "", apiKey: "", rememberKey: false };
  try {
    const raw = localStorage.getItem(SETTINGS_KEY);
    if (!raw) return fallback;
    const v = JSON.parse(raw) as Partial<OpenAISettings>;
    return {
      baseUrl: typeof v.baseUrl === "string" ? v.baseUrl : fallback.baseUrl,
      model: typeof v.model === "string" ? v.model : "",
      apiKey: v.rememberKey === true && typeof v.apiKey === "string" ? v.apiKey : "",
      rememberKey: v.rememberKey === true,
    };
  } catch {
    return fallback;
  }
}

/**
 * The engine the playground uses, shared by the engine screen, the GPU check and runs. Choosing
 * and configuring happen here; the engine classes (src/lib/engines) do the work.
 */
export class EngineState {
  #choice = $state<EngineChoice>("webllm");

  // WebGPU and web-llm
  #gpu = $state.raw<GpuCheck | null>(null);
  #family = $state(DEFAULT_FAMILY);
  #wantF16 = $state(true);
  #custom = $state.raw<CustomModel | null>(null);
  #customError = $state<string | null>(null);
  // Replaced whole on every refresh, never mutated: $state.raw is enough.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #cached = $state.raw<ReadonlyMap<string, boolean>>(new Map());
  #storage = $state.raw<StorageInfo | undefined>(undefined);
  #cacheError = $state<string | null>(null);

  // OpenAI-compatible
  #openai = $state<OpenAISettings>(readSettings());
  #models = $state.raw<string[] | undefined>(undefined);
  #modelsError = $state.raw<ShownError | null>(null);

  // Replay
  #replay = $state.raw<ReplaySource | null>(null);
  #replayError = $state.raw<ShownError | null>(null);
  #replayBusy = $state(false);

  // The engine itself
  #engine = $state.raw<Engine | null>(null);
  #description = $state.raw<EngineDescription | null>(null);
  #status = $state<LoadStatus>("idle");
  #progress = $state.raw<LoadProgress | null>(null);
  #loadStartedAt = $state(0);
  #error = $state.raw<ShownError | null>(null);
  #notice = $state<string | null>(null);
  #loadCtl: AbortController | null = null;

  // Try it
  #trial = $state<TrialSample[]>([]);
  #trialBusy = $state(false);
  #trialError = $state.raw<ShownError | null>(null);
  #trialCtl: AbortController | null = null;

  /** The GPU check page's run; it lives here so it survives leaving the page. */
  readonly gpuCheck: GpuCheckState;

  constructor(private readonly loadDataset: (id: string) => Promise<Dataset>) {
    this.gpuCheck = new GpuCheckState(this, loadDataset);
  }

  get choice(): EngineChoice {
    return this.#choice;
  }
  set choice(c: EngineChoice) {
    this.#choice = c;
  }

  // --- WebGPU -------------------------------------------------------------------------------------

  /** null until the first check finished. */
  get gpu(): GpuCheck | null {
    return this.#gpu;
  }

  #gpuCheck: Promise<GpuCheck> | null = null;
  /** Checks WebGPU once per page, before anything is downloaded; without shader-f16 the q4f32_1 variants are chosen. */
  checkGpu(): Promise<GpuCheck> {
    this.#gpuCheck ??= checkWebGPU().then((g) => {
      this.#gpu = g;
      if (g.ok && !g.hasF16) this.#wantF16 = false;
      return g;
    });
    return this.#gpuCheck;
  }

  get hasF16(): boolean {
    return this.#gpu?.ok === true && this.#gpu.hasF16;
  }

  get family(): string {
    return this.#family;
  }
  set family(f: string) {
    this.#family = f;
    this.#custom = null;
  }

  /** Whether the user wants the f16 variant (only offered when the GPU has shader-f16). */
  get wantF16(): boolean {
    return this.#wantF16;
  }
  set wantF16(v: boolean) {
    this.#wantF16 = v && this.hasF16;
  }

  get model(): CatalogModel | undefined {
    return pickVariant(this.#family, this.#wantF16 && this.hasF16);
  }

  /** The web-llm model id that Load will load. */
  get modelId(): string {
    return this.#custom?.record.model_id ?? this.model?.modelId ?? "";
  }

  get custom(): CustomModel | null {
    return this.#custom;
  }
  get customError(): string | null {
    return this.#customError;
  }
  setCustom(input: CustomModelInput | null): void {
    this.#customError = null;
    if (!input) {
      this.#custom = null;
      return;
    }
    try {
      this.#custom = customModelRecord(input);
    } catch (e) {
      this.#custom = null;
      this.#customError = shown(e).message;
    }
  }

  get cached(): ReadonlyMap<string, boolean> {
    return this.#cached;
  }
  get storage(): StorageInfo | undefined {
    return this.#storage;
  }
  get cacheError(): string | null {
    return this.#cacheError;
  }

  /** Which catalog models are in the browser cache, and how much storage the site uses. */
  async refreshCache(): Promise<void> {
    try {
      const { cachedModels, storageInfo } = await import("../lib/engines/webllm.ts");
      const [cached, storage] = await Promise.all([cachedModels(MODEL_CATALOG.map((m) => m.modelId)), storageInfo()]);
      this.#cached = cached;
      this.#storage = storage;
      this.#cacheError = null;
    } catch (e) {
      this.#cacheError = `Could not read the model cache: ${errorText(e)}`;
    }
  }

  async deleteCached(modelId: string): Promise<void> {
    try {
      const { deleteCachedModel } = await import("../lib/engines/webllm.ts");
      await deleteCachedModel(modelId, this.#custom?.record.model_id === modelId ? this.#custom.record : undefined);
    } catch (e) {
      this.#cacheError = `Could not delete ${modelId}: ${errorText(e)}`;
    }
    await this.refreshCache();
  }

  // --- OpenAI-compatible ------------------------------------------------------------------------------

  get openai(): OpenAISettings {
    return this.#openai;
  }
  get models(): string[] | undefined {
    return this.#models;
  }
  get modelsError(): ShownError | null {
    return this.#modelsError;
  }

  setOpenAI(s: Partial<OpenAISettings>): void {
    this.#openai = { ...this.#openai, ...s };
    this.#saveSettings();
  }

  #saveSettings(): void {
    const { baseUrl, model, apiKey, rememberKey } = this.#openai;
    try {
      localStorage.setItem(SETTINGS_KEY, JSON.stringify({ baseUrl, model, rememberKey, ...(rememberKey ? { apiKey } : {}) }));
    } catch {
      // Storage refused (private window): settings then last for this page only.
    }
  }

  /** GET /v1/models; `undefined` when the server has no such route. */
  async listModels(): Promise<void> {
    this.#modelsError = null;
    try {
      const probe = new OpenAICompatibleEngine({ baseUrl: this.#openai.baseUrl, model: this.#openai.model, ...(this.#openai.apiKey ? { apiKey: this.#openai.apiKey } : {}) });
      this.#models = await probe.listModels(AbortSignal.timeout(15_000));
      if (this.#models?.length && !this.#openai.model) this.setOpenAI({ model: this.#models[0]! });
      if (!this.#models) this.#modelsError = { message: "This server does not list its models (no /v1/models): type the model name it expects.", retryable: false, name: "NoModelList" };
    } catch (e) {
      this.#models = undefined;
      this.#modelsError = shown(e);
    }
  }

  // --- Replay ----------------------------------------------------------------------------------------

  get replay(): ReplaySource | null {
    return this.#replay;
  }
  get replayError(): ShownError | null {
    return this.#replayError;
  }
  get replayBusy(): boolean {
    return this.#replayBusy;
  }

  /** Reads a samples file against a dataset; a malformed file is rejected whole (replayError lists its lines). */
  async importSamples(file: { name: string; text(): Promise<string> }, datasetId: string, order: BigcodeOrder): Promise<void> {
    await this.#replayStep(async () => parseSamplesFile(await file.text(), file.name, await this.loadDataset(datasetId), order));
  }

  clearReplay(): void {
    this.#replay = null;
    this.#replayError = null;
  }

  async useReference(datasetId: string): Promise<void> {
    await this.#replayStep(async () => referenceSource(await this.loadDataset(datasetId)));
  }

  async #replayStep(make: () => Promise<ReplaySource>): Promise<void> {
    this.#replayBusy = true;
    this.#replayError = null;
    try {
      this.#replay = await make();
    } catch (e) {
      this.#replay = null;
      this.#replayError = shown(e);
    } finally {
      this.#replayBusy = false;
    }
  }

  // --- Loading ---------------------------------------------------------------------------------------

  get engine(): Engine | null {
    return this.#engine;
  }
  get description(): EngineDescription | null {
    return this.#description;
  }
  get status(): LoadStatus {
    return this.#status;
  }
  get progress(): LoadProgress | null {
    return this.#progress;
  }
  /** performance.now() when the current load began (for a ticking elapsed time). */
  get loadStartedAt(): number {
    return this.#loadStartedAt;
  }
  get error(): ShownError | null {
    return this.#error;
  }
  get notice(): string | null {
    return this.#notice;
  }

  async #make(): Promise<Engine> {
    if (this.#choice === "replay") {
      if (!this.#replay) throw new EngineSetupError("Import a samples file or choose a dataset's reference solutions first.");
      return new ReplayEngine(this.#replay);
    }
    if (this.#choice === "openai") {
      const { baseUrl, model, apiKey } = this.#openai;
      if (!model.trim()) throw new EngineSetupError("Enter the model name the server expects (List models shows what it offers; llama.cpp accepts any name).");
      return new OpenAICompatibleEngine({ baseUrl, model: model.trim(), ...(apiKey ? { apiKey } : {}) });
    }
    const gpu = await this.checkGpu();
    if (!gpu.ok) throw gpu.error;
    const id = this.modelId;
    const m = catalogModel(id);
    // web-llm would find out only after downloading the config and library (RUNTIME_FACTS §10).
    if (m?.needsF16 && !gpu.hasF16) throw new ShaderF16UnavailableError(id, f32Alternative(id));
    const { createWebWorkerWebLLM } = await import("../lib/engines/webllm.ts");
    return createWebWorkerWebLLM(id, this.#custom ? { record: this.#custom.record } : {});
  }

  /** Loads the configured engine (replacing the current one); Cancel aborts it, a failure offers Retry. */
  async load(): Promise<void> {
    this.cancel();
    await this.unload();
    const ctl = new AbortController();
    this.#loadCtl = ctl;
    this.#status = "loading";
    this.#error = null;
    this.#notice = null;
    this.#loadStartedAt = performance.now();
    this.#progress = { phase: "check", fraction: 0, elapsedMs: 0, text: "Preparing…" };
    let engine: Engine | null = null;
    try {
      engine = await this.#make();
      await engine.load((p) => {
        if (this.#loadCtl === ctl) this.#progress = p;
      }, ctl.signal);
      if (this.#loadCtl !== ctl) throw new DOMException("superseded", "AbortError");
      this.#engine = engine;
      this.#description = engine.describe();
      this.#status = "ready";
    } catch (e) {
      if (engine) void engine.unload().catch(() => undefined);
      if (this.#loadCtl !== ctl) return;
      if (isAbortError(e)) {
        this.#status = "idle";
        this.#notice = "Loading was cancelled. Files already downloaded stay in the browser cache.";
      } else {
        this.#status = "failed";
        this.#error = shown(e);
      }
    } finally {
      if (this.#loadCtl === ctl) this.#loadCtl = null;
    }
    if (this.#choice === "webllm") void this.refreshCache();
  }

  cancel(): void {
    this.#loadCtl?.abort();
  }

  /** Loads the smallest coder model in the variant this GPU runs (the GPU check's model). */
  async loadDefaultModel(): Promise<boolean> {
    const gpu = await this.checkGpu();
    this.#choice = "webllm";
    this.#custom = null;
    this.#family = DEFAULT_FAMILY;
    this.#wantF16 = gpu.ok && gpu.hasF16;
    if (this.#status === "ready" && this.#description?.kind === "webllm" && this.#description.modelId === this.modelId) return true;
    await this.load();
    return this.#status === "ready";
  }

  async unload(): Promise<void> {
    this.stopTrial();
    const engine = this.#engine;
    this.#engine = null;
    this.#description = null;
    if (this.#status === "ready") this.#status = "idle";
    if (engine) await engine.unload().catch(() => undefined);
  }

  // --- Try it ----------------------------------------------------------------------------------------

  get trial(): TrialSample[] {
    return this.#trial;
  }
  get trialBusy(): boolean {
    return this.#trialBusy;
  }
  get trialError(): ShownError | null {
    return this.#trialError;
  }

  /** n samples, one after another, each streamed as it arrives. */
  async tryIt(prompt: Prompt, params: SamplingParams, n: number, replayTaskId?: string): Promise<void> {
    const engine = this.#engine;
    if (!engine || this.#trialBusy) return;
    this.#trialError = null;
    let requests;
    try {
      requests = trialRequests(prompt, params, n, engine instanceof ReplayEngine ? replayTaskId : undefined);
    } catch (e) {
      this.#trialError = shown(e);
      return;
    }
    const ctl = new AbortController();
    this.#trialCtl = ctl;
    this.#trialBusy = true;
    this.#trial = requests.map((r) => ({ seed: r.seed, sampleIndex: r.replayKey?.sampleIndex ?? 0, text: "", status: "waiting" }));
    try {
      for (const [i, req] of requests.entries()) {
        if (ctl.signal.aborted) break;
        const sample = this.#trial[i]!;
        sample.status = "running";
        const t0 = performance.now();
        let first = 0;
        let pieces = 0;
        const onDelta = (d: string) => {
          sample.text += d;
          pieces++;
          const now = performance.now();
          if (pieces === 1) first = now;
          else if (now > first) sample.liveRate = ((pieces - 1) * 1000) / (now - first);
        };
        try {
          const c = engine.stream ? await engine.stream(req, onDelta, ctl.signal) : await engine.generate(req, ctl.signal);
          sample.text = c.text;
          sample.status = c.finishReason === "error" ? "failed" : "done";
          sample.finishReason = c.finishReason;
          sample.completionTokens = c.usage.completionTokens;
          sample.tokensPerS = tokensPerSecond(c);
          sample.totalMs = c.timings.totalMs || performance.now() - t0;
          if (c.error) sample.error = c.error;
        } catch (e) {
          if (isAbortError(e)) {
            sample.status = "failed";
            sample.error = "stopped before it started";
            break;
          }
          sample.status = "failed";
          sample.error = shown(e).message;
          this.#trialError = shown(e);
          break;
        }
      }
    } finally {
      for (const s of this.#trial) {
        if (s.status !== "waiting") continue;
        s.status = "failed";
        s.error = "not generated: stopped earlier";
      }
      this.#trialBusy = false;
      if (this.#trialCtl === ctl) this.#trialCtl = null;
    }
  }

  stopTrial(): void {
    this.#trialCtl?.abort();
  }
}

/** The GPU check (#/gpu-check): the smallest coder model, the paper's prompt, five MBPP tasks. */
export class GpuCheckState {
  #rows = $state.raw<GpuCheckRow[]>([]);
  #running = $state(false);
  #started = $state(false);
  #error = $state<string | null>(null);
  #ctl: AbortController | null = null;

  constructor(
    private readonly engine: EngineState,
    private readonly loadDataset: (id: string) => Promise<Dataset>,
  ) {}

  get rows(): GpuCheckRow[] {
    return this.#rows;
  }
  get running(): boolean {
    return this.#running;
  }
  /** Whether the check ran (or tried to) since the page opened: load errors shown here are then its own. */
  get started(): boolean {
    return this.#started;
  }
  /** A failure outside the model load (which EngineState.error reports, with Retry). */
  get error(): string | null {
    return this.#error;
  }

  /** `sandbox`: the page's Python pool; it starts while the model downloads. */
  async start(sandbox: Sandbox, timeoutMs: number): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#started = true;
    this.#error = null;
    this.#rows = [];
    const ctl = new AbortController();
    this.#ctl = ctl;
    try {
      const mbpp = await this.loadDataset("mbpp");
      const tasks = GPU_CHECK_TASK_IDS.map((id) => mbpp.tasks.find((t) => t.id === id)!);
      const render = createRenderer(defaultPromptSpec(), mbpp.tasks, tasks);
      if (!(await this.engine.loadDefaultModel()) || ctl.signal.aborted) return;
      const engine = this.engine.engine!;
      await runGpuCheck(
        {
          engine,
          tasks,
          render: (task) => {
            const r = render(task);
            return { prompt: r.prompt, stop: r.stop };
          },
          extract: (raw, task) => extractCode(raw, task, "completion").code,
          execute: (task, code, signal) => sandbox.run(programForTask(task, code), { timeoutMs, signal }),
        },
        (rows) => {
          if (this.#ctl === ctl) this.#rows = rows;
        },
        ctl.signal,
      );
    } catch (e) {
      this.#error = shown(e).message;
    } finally {
      this.#running = false;
      if (this.#ctl === ctl) this.#ctl = null;
    }
  }

  stop(): void {
    this.#ctl?.abort();
    this.engine.cancel();
  }
}

const KEY = Symbol("engine");
export function createEngineState(loadDataset: (id: string) => Promise<Dataset>): EngineState {
  return setContext(KEY, new EngineState(loadDataset));
}
export function useEngine(): EngineState {
  return getContext<EngineState>(KEY);
}
