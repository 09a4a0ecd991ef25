import { formatProblem, type LineProblem } from "../tasks/errors.ts";

/**
 * Every engine failure a person can act on. `message` says what happened and what to do;
 * `retryable` says whether trying the same thing again can help (a Retry button).
 */
export abstract class EngineError extends Error {
  abstract readonly retryable: boolean;
}

// --- WebGPU ----------------------------------------------------------------------------------

const OTHER_ENGINES = "The OpenAI-compatible endpoint and Replay engines work without a GPU.";

/** No `navigator.gpu`. */
export class WebGPUUnavailableError extends EngineError {
  readonly retryable = false;
  constructor(readonly insecureContext = false) {
    super(
      insecureContext
        ? "WebGPU is only offered to secure pages, and this page was loaded over plain http from another machine. " +
            `Open it via https or http://localhost to run models on your GPU. ${OTHER_ENGINES}`
        : "This browser does not offer WebGPU, so models cannot run on your GPU here. " +
            "Use Chrome or Edge 113+ (on Linux, enable chrome://flags/#enable-unsafe-webgpu), Safari 26+, " +
            `or Firefox 141+ on Windows. ${OTHER_ENGINES}`,
    );
    this.name = "WebGPUUnavailableError";
  }
}

/** `navigator.gpu.requestAdapter()` resolved to null. */
export class NoAdapterError extends EngineError {
  readonly retryable = false;
  constructor(readonly detail?: string) {
    super(
      "WebGPU is present but found no usable GPU adapter (no GPU, a blocklisted driver, or hardware acceleration turned off). " +
        "Check chrome://gpu, turn on \"Use graphics acceleration when available\", update the GPU driver, " +
        `or on Linux start Chrome with --enable-unsafe-webgpu. ${OTHER_ENGINES}` +
        (detail ? ` (${detail})` : ""),
    );
    this.name = "NoAdapterError";
  }
}

/** An adapter limit below what web-llm 0.2.86 requests (detectGPUDevice in lib/index.js ~4760). */
export class AdapterLimitsError extends EngineError {
  readonly retryable = false;
  constructor(
    readonly limit: string,
    readonly available: number,
    readonly required: number,
  ) {
    super(
      `Your GPU adapter allows ${limit} = ${fmtLimit(limit, available)}, but web-llm needs at least ${fmtLimit(limit, required)}. ` +
        "Models cannot run in this browser on this device; try a desktop Chrome or Edge, or another GPU. " +
        OTHER_ENGINES,
    );
    this.name = "AdapterLimitsError";
  }
}

function fmtLimit(limit: string, v: number): string {
  return /Size$/.test(limit) && v >= 1 << 20 ? `${Math.round(v / (1 << 20))} MB` : String(v);
}

/** A model that needs `shader-f16` on an adapter without it; the q4f32_1 variant runs instead. */
export class ShaderF16UnavailableError extends EngineError {
  readonly retryable = false;
  constructor(
    readonly modelId: string,
    readonly alternative?: string,
  ) {
    super(
      `${modelId} needs the WebGPU feature shader-f16, which this GPU/browser does not offer. ` +
        (alternative ? `Choose ${alternative} instead (same model, 32-bit float arithmetic, a little more memory).` : "Choose a q4f32_1 variant instead."),
    );
    this.name = "ShaderF16UnavailableError";
  }
}

/** The GPU device was lost, nearly always out of GPU memory (mlc-ai/web-llm#517, #647). */
export class DeviceLostError extends EngineError {
  readonly retryable = true;
  constructor(
    readonly modelId?: string,
    readonly vramRequiredMB?: number,
  ) {
    super(
      `The GPU device was lost${modelId ? ` while running ${modelId}` : ""}, which almost always means the GPU ran out of memory` +
        `${vramRequiredMB ? ` (this model needs about ${Math.round(vramRequiredMB)} MB)` : ""}. ` +
        "Close other GPU-heavy tabs and retry, or choose a smaller model or a -1k variant (1024-token context).",
    );
    this.name = "DeviceLostError";
  }
}

/** web-llm's ContextWindowSizeExceededError: the prompt alone is longer than the context window. */
export class ContextWindowExceededError extends EngineError {
  readonly retryable = false;
  constructor(readonly detail: string) {
    super(
      `The prompt is longer than the model's context window (${detail}). Use fewer few-shot examples, a shorter prompt, ` +
        "or a model with a larger context (the -1k variants have only 1024 tokens).",
    );
    this.name = "ContextWindowExceededError";
  }
}

/** A sampling parameter out of range; checked before any engine sees the request. */
export class InvalidRequestError extends EngineError {
  readonly retryable = false;
  constructor(field: string, problem: string) {
    super(`Sampling parameter ${field} ${problem}`);
    this.name = "InvalidRequestError";
  }
}

// --- Downloads and storage ---------------------------------------------------------------------

export type DownloadFailure = "offline" | "not-found" | "blocked" | "integrity" | "network";

export class ModelDownloadError extends EngineError {
  readonly retryable: boolean;
  constructor(
    readonly failure: DownloadFailure,
    readonly modelId: string | undefined,
    readonly detail: string,
  ) {
    const what = modelId ? `the files of ${modelId}` : "the model files";
    const messages: Record<DownloadFailure, string> = {
      offline: `Could not download ${what}: the browser is offline or the download server is unreachable. Check the connection and press Retry; files already downloaded are kept.`,
      "not-found": `Could not download ${what}: the server answered "not found" (404). The model's URL is wrong or the files were moved; for a custom model check the weights URL (it must hold mlc-chat-config.json and tensor-cache.json) and the model library URL.`,
      blocked: `Could not download ${what}: the server refused the browser's request (CORS). Self-hosted weights must be served with Access-Control-Allow-Origin for this page's origin.`,
      integrity: `The downloaded files of ${modelId ?? "the model"} failed their integrity check (corrupt or changed on the server). Delete the cached model and press Retry.`,
      network: `Downloading ${what} failed part way (network error). Press Retry; files already downloaded are kept.`,
    };
    super(`${messages[failure]} (${detail})`);
    this.name = "ModelDownloadError";
    this.retryable = failure !== "not-found";
  }
}

export class StorageQuotaError extends EngineError {
  readonly retryable = true;
  constructor(readonly detail?: string) {
    super(
      "The browser refused to store the model: storage quota exceeded. Private/incognito windows allow very little storage; " +
        "use a normal window, free space by deleting other cached models, or choose a smaller model." +
        (detail ? ` (${detail})` : ""),
    );
    this.name = "StorageQuotaError";
  }
}

export class CustomModelError extends EngineError {
  readonly retryable = false;
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`Custom model: ${field} ${problem}`);
    this.name = "CustomModelError";
  }
}

export class UnknownModelError extends EngineError {
  readonly retryable = false;
  constructor(readonly modelId: string) {
    super(`web-llm has no model "${modelId}". Pick one from the list, or add it as a custom model with its weights and library URLs.`);
    this.name = "UnknownModelError";
  }
}

export class EngineNotLoadedError extends EngineError {
  readonly retryable = false;
  constructor(readonly modelId: string) {
    super(`${modelId} is not loaded yet: press Load and wait until it is ready.`);
    this.name = "EngineNotLoadedError";
  }
}

/** Anything from web-llm we do not recognise; the original text is kept. */
export class WebLLMError extends EngineError {
  readonly retryable = true;
  constructor(readonly original: string) {
    super(`web-llm failed: ${original}`);
    this.name = "WebLLMError";
  }
}

// --- OpenAI-compatible endpoints ------------------------------------------------------------------

/**
 * The browser blocked the endpoint's answer because it lacked CORS headers. `reachable`:
 * true when a probe showed the server answers, undefined when the page cannot tell
 * (a cross-origin-isolated page cannot probe without CORS).
 */
export class EndpointCorsError extends EngineError {
  readonly retryable = true;
  constructor(
    readonly url: string,
    readonly pageOrigin: string,
    readonly reachable?: boolean,
  ) {
    const lead = reachable
      ? `The server at ${url} answered, but the browser blocked the answer (CORS).`
      : `The browser could not read ${url}: either the server is not running/reachable there, or it answered without CORS headers and the browser blocked it.`;
    super(
      `${lead} The server must send Access-Control-Allow-Origin: ${pageOrigin} (or *) and answer the OPTIONS preflight ` +
        "with Access-Control-Allow-Headers: Authorization, Content-Type. " +
        // Flags checked against the servers' docs: vLLM `vllm serve --allowed-origins` (default ["*"]);
        // llama.cpp llama-server allows any origin by default, `--cors-origins` since ggml-org/llama.cpp#25655;
        // Ollama reads OLLAMA_ORIGINS (docs.ollama.com FAQ).
        `llama.cpp's llama-server allows all origins unless started with --cors-origins (then add ${pageOrigin}); ` +
        `vLLM: --allowed-origins '["${pageOrigin}"]'; Ollama: set OLLAMA_ORIGINS=${pageOrigin} before \`ollama serve\`. ` +
        `Check the server with: curl ${url}`,
    );
    this.name = "EndpointCorsError";
  }
}

export class EndpointUnreachableError extends EngineError {
  readonly retryable = true;
  constructor(
    readonly url: string,
    readonly detail: string,
  ) {
    super(`Could not connect to ${url}: is the server running, and is the base URL (host, port, http/https) right? (${detail})`);
    this.name = "EndpointUnreachableError";
  }
}

/** An https page may not call a plain-http server other than localhost. */
export class EndpointMixedContentError extends EngineError {
  readonly retryable = false;
  constructor(readonly url: string) {
    super(
      `This page is served over https, so the browser blocks requests to the plain-http address ${url}. ` +
        "Serve the endpoint over https, use http://localhost (or 127.0.0.1) with a tunnel, or open this app from http://localhost.",
    );
    this.name = "EndpointMixedContentError";
  }
}

export class EndpointHttpError extends EngineError {
  readonly retryable: boolean;
  constructor(
    readonly url: string,
    readonly status: number,
    readonly body: string,
  ) {
    const hint =
      status === 401 || status === 403
        ? "Check the API key."
        : status === 404
          ? "Check the base URL (it usually ends in /v1 or has /v1 added by us) and the model name (see the model list)."
          : status === 400 || status === 422
            ? "The server rejected the request's parameters; its answer says which."
            : status === 429
              ? "The server is rate-limiting; wait and retry."
              : status >= 500
                ? "The server failed; check its log."
                : "";
    super(`${url} answered HTTP ${status}. ${hint} Server said: ${body.slice(0, 300) || "(empty)"}`);
    this.name = "EndpointHttpError";
    this.retryable = status === 429 || status >= 500;
  }
}

export class EndpointResponseError extends EngineError {
  readonly retryable = false;
  constructor(
    readonly url: string,
    problem: string,
  ) {
    super(`${url} did not answer like an OpenAI-compatible server: ${problem}`);
    this.name = "EndpointResponseError";
  }
}

// --- Replay ------------------------------------------------------------------------------------

/** A samples file rejected whole, with the lines at fault (same style as task files). */
export class ReplayFileError extends EngineError {
  readonly retryable = false;
  constructor(
    readonly fileName: string,
    readonly problems: LineProblem[],
  ) {
    const first = problems.slice(0, 3).map(formatProblem).join("; ");
    const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : "";
    super(`${fileName} was not imported: ${first}${more}`);
    this.name = "ReplayFileError";
  }
}

/** generate() asked a replay engine for a sample the file does not have. */
export class ReplaySampleMissingError extends EngineError {
  readonly retryable = false;
  constructor(
    readonly source: string,
    readonly taskId: string,
    readonly sampleIndex: number,
    readonly available: number,
  ) {
    super(
      available === 0
        ? `${source} has no samples for task ${taskId}; run only the tasks the file covers.`
        : `${source} has ${available} sample(s) for task ${taskId}, so sample #${sampleIndex + 1} does not exist; set n to at most ${available}.`,
    );
    this.name = "ReplaySampleMissingError";
  }
}

export class ReplayRequestError extends EngineError {
  readonly retryable = false;
  constructor() {
    super("The replay engine needs to know which task and sample to return (request.replayKey); it cannot answer free-form prompts.");
    this.name = "ReplayRequestError";
  }
}

// --- web-llm error translation -----------------------------------------------------------------------

export interface TranslateContext {
  modelId?: string;
  vramRequiredMB?: number;
  /** The q4f32_1 sibling of an f16 model, offered when shader-f16 is missing. */
  f32Alternative?: string;
  /** Some weights already arrived: a fetch failure is then a broken download, not "offline". */
  downloadStarted?: boolean;
}

/** web-llm's worker rejects with `err.toString()` ("Name: message") or even a bare string (RUNTIME_FACTS §10). */
export function errorText(e: unknown): string {
  if (typeof e === "string") return e;
  if (e instanceof Error) return e.name && e.name !== "Error" && !e.message.startsWith(e.name) ? `${e.name}: ${e.message}` : e.message;
  if (typeof e === "object" && e !== null && "message" in e) return String((e as { message: unknown }).message);
  return String(e);
}

/**
 * Turns whatever web-llm threw (Error, DOMException or plain string) into a typed error.
 * Aborts come back as a DOMException named AbortError, the same as `fetch`'s.
 */
export function translateWebLLMError(e: unknown, ctx: TranslateContext = {}): EngineError | DOMException {
  if (e instanceof EngineError) return e;
  if (e instanceof DOMException && e.name === "AbortError") return e;
  const text = errorText(e);
  const limit = /requested (max\w+) exceeds limit\. requested=(\d+)(MB)?, limit=(\d+)(MB)?/.exec(text);
  if (limit) {
    const mul = (unit?: string) => (unit ? 1 << 20 : 1);
    return new AdapterLimitsError(limit[1]!, Number(limit[4]) * mul(limit[5]), Number(limit[2]) * mul(limit[3]));
  }
  if (/AbortError|Engine\.unload\(\) is called|The operation was aborted|signal is aborted/i.test(text)) {
    return new DOMException(text, "AbortError");
  }
  if (/QuotaExceeded|quota/i.test(text)) return new StorageQuotaError(text);
  if (/DeviceLostError|device (was |is )?lost/i.test(text)) return new DeviceLostError(ctx.modelId, ctx.vramRequiredMB);
  if (/WebGPUNotAvailableError|WebGPU is not supported|Cannot find WebGPU/i.test(text)) return new WebGPUUnavailableError();
  if (/Unable to find a compatible GPU/i.test(text)) return new NoAdapterError();
  if (/ShaderF16SupportError|shader-f16/i.test(text)) return new ShaderF16UnavailableError(ctx.modelId ?? "This model", ctx.f32Alternative);
  if (/ContextWindowSizeExceeded|exceed context window/i.test(text)) {
    const m = /prompt tokens: (\d+); context window size: (\d+)/.exec(text);
    return new ContextWindowExceededError(m ? `${m[1]} prompt tokens, window ${m[2]}` : text);
  }
  if (/IntegrityError|Integrity verification failed/.test(text)) return new ModelDownloadError("integrity", ctx.modelId, text);
  if (/ModelNotFoundError|Cannot find model record/.test(text)) return new UnknownModelError(ctx.modelId ?? "(unknown)");
  // Cache.add() reports any non-2xx answer as "Request failed" (mlc-ai/web-llm#389); a 404 is the usual one.
  if (/on 'Cache': Request failed|\b404\b|Not Found/i.test(text)) return new ModelDownloadError("not-found", ctx.modelId, text);
  if (/Invalid URL/i.test(text)) return new CustomModelError("weights URL", `is not an absolute URL (${text}).`);
  if (/Failed to fetch|NetworkError|Load failed|network error|ERR_INTERNET_DISCONNECTED|ERR_NAME_NOT_RESOLVED/i.test(text)) {
    return new ModelDownloadError(ctx.downloadStarted ? "network" : "offline", ctx.modelId, text);
  }
  return new WebLLMError(text);
}
