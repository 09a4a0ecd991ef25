import {
  EndpointCorsError,
  EndpointHttpError,
  EndpointMixedContentError,
  EndpointResponseError,
  EndpointUnreachableError,
  EngineError,
  errorText,
} from "./errors.ts";
import { EngineQueue } from "./queue.ts";
import { abortError, isAbortError, type Completion, type Engine, type EngineDescription, type FinishReason, type GenerateRequest, type ProgressListener } from "./types.ts";
import { validateRequest } from "./request.ts";

/** Where the page runs; decides how a failed fetch is explained. Absent in Node. */
export interface PageContext {
  origin: string;
  protocol: string;
  crossOriginIsolated: boolean;
}

export interface OpenAIEndpointOptions {
  /** e.g. http://localhost:8080 or http://localhost:8000/v1; "/v1" is added to a bare host. */
  baseUrl: string;
  /** The model name the server expects (llama.cpp ignores it; Ollama and vLLM need it). */
  model: string;
  /** Sent as `Authorization: Bearer …`; never part of describe(). */
  apiKey?: string;
  fetch?: typeof fetch;
  page?: PageContext;
  /** For the model-list check in load(). */
  checkTimeoutMs?: number;
}

export function normaliseBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new EndpointResponseError(raw, "the base URL is not a full address; write it like http://localhost:8080/v1");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new EndpointResponseError(raw, "the base URL must start with http:// or https://");
  if (url.pathname === "/" || url.pathname === "") url.pathname = "/v1";
  url.search = "";
  url.hash = "";
  return url.href.replace(/\/+$/, "");
}

function currentPage(): PageContext | undefined {
  const loc = (globalThis as { location?: { origin: string; protocol: string } }).location;
  if (!loc?.origin || loc.origin === "null") return undefined;
  return { origin: loc.origin, protocol: loc.protocol, crossOriginIsolated: Boolean((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated) };
}

const isLoopback = (host: string) => host === "localhost" || host.endsWith(".localhost") || host === "[::1]" || /^127\./.test(host);

/**
 * A fetch that rejected (TypeError) says nothing about why. Browsers hide CORS failures, so:
 * an https page calling plain http (not localhost) is mixed content; a same-origin URL cannot be
 * CORS; otherwise a `no-cors` probe that gets *any* answer proves the server is up, so CORS was
 * the cause. A cross-origin-isolated page (ours: COEP require-corp) blocks that probe too, so
 * there the explanation names both causes.
 */
export async function explainFetchFailure(url: string, error: unknown, page: PageContext | undefined, fetchFn: typeof fetch = fetch): Promise<EngineError> {
  const detail = errorText(error);
  if (!page) return new EndpointUnreachableError(url, detail);
  const target = new URL(url);
  if (page.protocol === "https:" && target.protocol === "http:" && !isLoopback(target.hostname)) return new EndpointMixedContentError(url);
  if (target.origin === page.origin) return new EndpointUnreachableError(url, detail);
  const reachable = await fetchFn(url, { mode: "no-cors", signal: AbortSignal.timeout(3000) }).then(
    () => true,
    () => false,
  );
  if (reachable) return new EndpointCorsError(url, page.origin, true);
  return page.crossOriginIsolated ? new EndpointCorsError(url, page.origin, undefined) : new EndpointUnreachableError(url, detail);
}

function gguFQuantisation(model: string): string | undefined {
  return /(?:^|[-_:.])((?:i?q\d(?:_[a-z0-9]+)+)|bf16|f16|fp16|fp8|q\d+f\d+_\d+)(?:$|[-_.])/i.exec(model)?.[1];
}

interface WireUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
}
/** llama.cpp adds its own speed figures to every answer. */
interface WireTimings {
  prompt_per_second?: number;
  predicted_per_second?: number;
}
interface WireChoice {
  text?: string;
  message?: { content?: string | null };
  delta?: { content?: string | null };
  finish_reason?: string | null;
}
interface WireResponse {
  choices?: WireChoice[];
  usage?: WireUsage | null;
  timings?: WireTimings;
  system_fingerprint?: string;
}

const finish = (r: string | null | undefined): FinishReason => (r === "length" ? "length" : "stop");

/** Any OpenAI-compatible server (llama.cpp, Ollama, vLLM, …) over fetch. */
export class OpenAICompatibleEngine implements Engine {
  readonly baseUrl: string;
  private readonly queue = new EngineQueue();
  private readonly fetchFn: typeof fetch;
  private readonly page: PageContext | undefined;
  private fingerprint?: string;
  /** From load(): the server's model list, when it offers one. */
  models?: string[];

  constructor(private readonly opts: OpenAIEndpointOptions) {
    this.baseUrl = normaliseBaseUrl(opts.baseUrl);
    this.fetchFn = opts.fetch ?? ((input, init) => fetch(input, init));
    this.page = "page" in opts ? opts.page : currentPage();
  }

  get pendingRequests(): number {
    return this.queue.pending;
  }

  describe(): EngineDescription {
    const q = gguFQuantisation(this.opts.model);
    return {
      kind: "openai",
      modelId: this.opts.model,
      ...(q ? { quantisation: q } : {}),
      libraries: {},
      endpoint: this.baseUrl,
      ...(this.fingerprint ? { detail: { systemFingerprint: this.fingerprint } } : {}),
    };
  }

  private headers(json: boolean): Record<string, string> {
    return {
      ...(json ? { "Content-Type": "application/json" } : {}),
      ...(this.opts.apiKey ? { Authorization: `Bearer ${this.opts.apiKey}` } : {}),
    };
  }

  private async send(path: string, init: RequestInit): Promise<Response> {
    const url = `${this.baseUrl}${path}`;
    let res: Response;
    try {
      res = await this.fetchFn(url, init);
    } catch (e) {
      if (isAbortError(e) || init.signal?.aborted) throw e;
      throw await explainFetchFailure(url, e, this.page, this.fetchFn);
    }
    if (!res.ok) {
      const body = await res.text().catch(() => "");
      let message = body;
      try {
        const parsed = JSON.parse(body) as { error?: { message?: string } | string; message?: string };
        message = (typeof parsed.error === "string" ? parsed.error : parsed.error?.message) ?? parsed.message ?? body;
      } catch {
        // not JSON: keep the text
      }
      throw new EndpointHttpError(url, res.status, message);
    }
    return res;
  }

  /** GET /models; undefined when the server has no such route (404/405). */
  async listModels(signal?: AbortSignal): Promise<string[] | undefined> {
    let res: Response;
    try {
      res = await this.send("/models", { method: "GET", headers: this.headers(false), ...(signal ? { signal } : {}) });
    } catch (e) {
      if (e instanceof EndpointHttpError && (e.status === 404 || e.status === 405)) return undefined;
      throw e;
    }
    const data = (await res.json().catch(() => undefined)) as { data?: { id?: unknown }[] } | undefined;
    if (!data || !Array.isArray(data.data)) throw new EndpointResponseError(`${this.baseUrl}/models`, "expected {\"data\": [{\"id\": …}, …]}");
    return data.data.map((m) => String(m.id));
  }

  /** Contacts the server (model list) so a wrong URL or missing CORS shows up before a run. */
  load(onProgress: ProgressListener, signal?: AbortSignal): Promise<void> {
    return this.queue.run(async () => {
      const t0 = Date.now();
      onProgress({ phase: "check", fraction: 0, elapsedMs: 0, text: `Contacting ${this.baseUrl}…` });
      const timeout = AbortSignal.timeout(this.opts.checkTimeoutMs ?? 15_000);
      const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
      try {
        this.models = await this.listModels(both);
      } catch (e) {
        if (signal?.aborted) throw abortError(signal);
        if (timeout.aborted) throw new EndpointUnreachableError(`${this.baseUrl}/models`, `no answer within ${Math.round((this.opts.checkTimeoutMs ?? 15_000) / 1000)} s`);
        throw e;
      }
      const listed = this.models === undefined || this.models.includes(this.opts.model);
      const note = this.models === undefined ? " (it does not list its models)" : listed ? "" : ` — it does not list "${this.opts.model}" (it offers: ${this.models.slice(0, 8).join(", ")}); some servers ignore the name`;
      onProgress({ phase: "ready", fraction: 1, elapsedMs: Date.now() - t0, text: `${this.baseUrl} is ready${note}.` });
    }, signal);
  }

  /** The request body: exactly the chosen parameters, one sample. */
  body(req: GenerateRequest, stream: boolean): Record<string, unknown> {
    validateRequest(req);
    return {
      model: this.opts.model,
      ...(req.prompt.kind === "completion" ? { prompt: req.prompt.text } : { messages: req.prompt.messages.map((m) => ({ role: m.role, content: m.content })) }),
      temperature: req.temperature,
      top_p: req.topP,
      max_tokens: req.maxTokens,
      stop: [...req.stop],
      seed: req.seed,
      n: 1,
      // Not an OpenAI field (vLLM reads it); sent only when asked for, since OpenAI itself rejects unknown fields.
      ...(req.repetitionPenalty !== 1 ? { repetition_penalty: req.repetitionPenalty } : {}),
      stream,
      ...(stream ? { stream_options: { include_usage: true } } : {}),
    };
  }

  generate(req: GenerateRequest, signal?: AbortSignal): Promise<Completion> {
    return this.queue.run(() => this.run(req, signal), signal);
  }

  stream(req: GenerateRequest, onDelta: (delta: string) => void, signal?: AbortSignal): Promise<Completion> {
    return this.queue.run(() => this.run(req, signal, onDelta), signal);
  }

  private async run(req: GenerateRequest, signal: AbortSignal | undefined, onDelta?: (d: string) => void): Promise<Completion> {
    if (signal?.aborted) throw abortError(signal);
    const body = this.body(req, onDelta !== undefined);
    const path = req.prompt.kind === "completion" ? "/completions" : "/chat/completions";
    const t0 = Date.now();
    const aborted = (text: string): Completion => ({
      text,
      finishReason: "abort",
      usage: { promptTokens: 0, completionTokens: 0 },
      timings: { totalMs: Date.now() - t0 },
      seed: req.seed,
    });
    let res: Response;
    try {
      res = await this.send(path, { method: "POST", headers: this.headers(true), body: JSON.stringify(body), ...(signal ? { signal } : {}) });
    } catch (e) {
      if (signal?.aborted) return aborted("");
      throw e;
    }
    if (!onDelta) {
      let data: WireResponse;
      try {
        data = (await res.json()) as WireResponse;
      } catch (e) {
        if (signal?.aborted) return aborted("");
        throw new EndpointResponseError(`${this.baseUrl}${path}`, `the answer is not JSON (${errorText(e)})`);
      }
      const choice = data.choices?.[0];
      if (!choice) throw new EndpointResponseError(`${this.baseUrl}${path}`, "the answer has no choices");
      if (data.system_fingerprint) this.fingerprint = data.system_fingerprint;
      return this.completion(choice.text ?? choice.message?.content ?? "", finish(choice.finish_reason), data.usage, data.timings, t0, req.seed);
    }
    return this.readStream(res, path, req.seed, t0, onDelta, signal, aborted);
  }

  private completion(text: string, reason: FinishReason, usage: WireUsage | null | undefined, timings: WireTimings | undefined, t0: number, seed: number, ttftMs?: number): Completion {
    return {
      text,
      finishReason: reason,
      usage: { promptTokens: usage?.prompt_tokens ?? 0, completionTokens: usage?.completion_tokens ?? 0 },
      timings: {
        totalMs: Date.now() - t0,
        ...(timings?.prompt_per_second !== undefined ? { prefillTokensPerS: timings.prompt_per_second } : {}),
        ...(timings?.predicted_per_second !== undefined ? { decodeTokensPerS: timings.predicted_per_second } : {}),
        ...(ttftMs !== undefined ? { timeToFirstTokenMs: ttftMs } : {}),
      },
      seed,
    };
  }

  /** Server-sent events: `data: {json}` lines, ending with `data: [DONE]`. */
  private async readStream(
    res: Response,
    path: string,
    seed: number,
    t0: number,
    onDelta: (d: string) => void,
    signal: AbortSignal | undefined,
    aborted: (text: string) => Completion,
  ): Promise<Completion> {
    if (!res.body) throw new EndpointResponseError(`${this.baseUrl}${path}`, "the streamed answer has no body");
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let text = "";
    let reason: FinishReason = "stop";
    let usage: WireUsage | null | undefined;
    let timings: WireTimings | undefined;
    let ttft: number | undefined;
    const handle = (line: string): boolean => {
      if (!line.startsWith("data:")) return false;
      const payload = line.slice(5).trim();
      if (payload === "[DONE]") return true;
      let chunk: WireResponse;
      try {
        chunk = JSON.parse(payload) as WireResponse;
      } catch {
        throw new EndpointResponseError(`${this.baseUrl}${path}`, `a streamed event is not JSON: ${payload.slice(0, 80)}`);
      }
      const c = chunk.choices?.[0];
      const delta = c?.text ?? c?.delta?.content ?? "";
      if (delta) {
        ttft ??= Date.now() - t0;
        text += delta;
        onDelta(delta);
      }
      if (c?.finish_reason) reason = finish(c.finish_reason);
      if (chunk.usage) usage = chunk.usage;
      if (chunk.timings) timings = chunk.timings;
      if (chunk.system_fingerprint) this.fingerprint = chunk.system_fingerprint;
      return false;
    };
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        const lines = buffer.split(/\r?\n/);
        buffer = lines.pop() ?? "";
        if (lines.some((l) => handle(l))) {
          await reader.cancel().catch(() => undefined);
          break;
        }
      }
      if (buffer) handle(buffer);
    } catch (e) {
      if (signal?.aborted) return aborted(text);
      if (e instanceof EngineError && !(e instanceof EndpointResponseError)) throw e;
      if (!text) throw e instanceof EngineError ? e : new EndpointUnreachableError(`${this.baseUrl}${path}`, `the stream broke: ${errorText(e)}`);
      return { ...this.completion(text, "error", usage, timings, t0, seed, ttft), error: `the stream broke: ${errorText(e)}` };
    }
    return this.completion(text, reason, usage, timings, t0, seed, ttft);
  }

  async unload(): Promise<void> {
    this.queue.clear(abortError());
  }
}
