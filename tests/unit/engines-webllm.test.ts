import { describe, expect, it } from "vitest";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatOptions,
  Completion as WebLLMCompletion,
  CompletionCreateParams,
  CompletionUsage,
  InitProgressReport,
} from "@mlc-ai/web-llm";
import {
  WebLLMEngine,
  mapRequest,
  progressFromReport,
  storageInfo,
  type WebLLMLike,
} from "../../src/lib/engines/webllm.ts";
import { DeviceLostError, EngineNotLoadedError, InvalidRequestError, ModelDownloadError, WebLLMError } from "../../src/lib/engines/errors.ts";
import type { GenerateRequest, LoadProgress } from "../../src/lib/engines/types.ts";

type Scripted =
  | { text: string; finish?: "stop" | "length"; promptTokens?: number; startGate?: Promise<void>; tokenDelayMs?: number }
  | { reject: unknown };

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/**
 * A test double of web-llm's MLCEngine (no weights or GPU here). It records every call and
 * answers from a script, emulating the behaviour we depend on (web-llm 0.2.86, RUNTIME_FACTS §7):
 * tokens come one at a time; the interrupt flag is checked between tokens and **reset when a
 * request starts**, so an interrupt sent before the start is lost; `stop` strings end the text and
 * are not included; usage.extra carries the speed figures; rejections may be bare strings.
 */
class MLCEngineTestDouble implements WebLLMLike {
  readonly calls: { method: string; body?: unknown }[] = [];
  script: Scripted[] = [];
  reloadScript: { reports?: InitProgressReport[]; reject?: unknown; hang?: boolean } = {};
  interrupts = 0;
  active = 0;
  maxActive = 0;
  private interruptFlag = false;
  private progress?: (r: InitProgressReport) => void;

  setInitProgressCallback(cb: (r: InitProgressReport) => void): void {
    this.progress = cb;
  }
  async reload(modelId: string, chatOpts?: ChatOptions): Promise<void> {
    this.calls.push({ method: "reload", body: { modelId, chatOpts } });
    for (const r of this.reloadScript.reports ?? []) {
      await tick();
      this.progress?.(r);
    }
    if (this.reloadScript.hang) await new Promise(() => {});
    if (this.reloadScript.reject !== undefined) throw this.reloadScript.reject;
  }
  interruptGenerate(): void {
    this.interrupts++;
    this.interruptFlag = true;
  }
  async unload(): Promise<void> {
    this.calls.push({ method: "unload" });
  }
  readonly completions = {
    create: (body: CompletionCreateParams) => this.respond("completions.create", body, false),
  };
  readonly chat = {
    completions: {
      create: (body: ChatCompletionRequest) => this.respond("chat.completions.create", body, true),
    },
  };

  /** Bodies of the generation calls, in order. */
  bodies(): Record<string, unknown>[] {
    return this.calls.filter((c) => c.method.endsWith("create")).map((c) => c.body as Record<string, unknown>);
  }

  private async respond(method: string, body: CompletionCreateParams | ChatCompletionRequest, chat: boolean): Promise<never> {
    this.calls.push({ method, body: structuredClone(body) });
    const step = this.script.shift();
    if (!step) throw new Error(`MLCEngineTestDouble: no scripted answer for call ${this.calls.length}`);
    if ("reject" in step) throw step.reject;
    if (step.startGate) await step.startGate;
    this.interruptFlag = false; // web-llm resets the flag when a request starts
    const stops = Array.isArray(body.stop) ? body.stop : body.stop ? [body.stop] : [];
    let full = step.text;
    let finish: string = step.finish ?? "stop";
    for (const s of stops) {
      const i = full.indexOf(s);
      if (i >= 0) {
        full = full.slice(0, i);
        finish = "stop";
      }
    }
    const tokens = full.match(/\S+\s*|\s+/g) ?? [];
    const maxTokens = body.max_tokens ?? Infinity;
    const usage = (n: number): CompletionUsage => ({
      prompt_tokens: step.promptTokens ?? 7,
      completion_tokens: n,
      total_tokens: (step.promptTokens ?? 7) + n,
      extra: { e2e_latency_s: 0.5, prefill_tokens_per_s: 700, decode_tokens_per_s: 35, time_to_first_token_s: 0.01, time_per_output_token_s: 0.03 },
    });
    const generate = async function* (this: MLCEngineTestDouble) {
      this.active++;
      this.maxActive = Math.max(this.maxActive, this.active);
      try {
        let n = 0;
        for (const t of tokens) {
          await tick(step.tokenDelayMs ?? 0);
          if (this.interruptFlag) {
            finish = "abort";
            break;
          }
          if (n >= maxTokens) {
            finish = "length";
            break;
          }
          n++;
          yield { delta: t, n };
        }
        return n;
      } finally {
        this.active--;
      }
    }.bind(this);

    if (body.stream) {
      const it = async function* () {
        let n = 0;
        for await (const { delta, n: k } of generate()) {
          n = k;
          yield chat
            ? ({ choices: [{ delta: { content: delta }, finish_reason: null, index: 0 }] } as unknown as ChatCompletionChunk)
            : ({ choices: [{ text: delta, finish_reason: null, index: 0 }] } as unknown as WebLLMCompletion);
        }
        yield chat
          ? ({ choices: [{ delta: {}, finish_reason: finish, index: 0 }] } as unknown as ChatCompletionChunk)
          : ({ choices: [{ text: "", finish_reason: finish, index: 0 }] } as unknown as WebLLMCompletion);
        yield { choices: [], usage: usage(n) } as unknown as WebLLMCompletion;
      };
      return it() as never;
    }
    let text = "";
    let n = 0;
    for await (const { delta, n: k } of generate()) {
      text += delta;
      n = k;
    }
    const choice = chat ? { message: { role: "assistant", content: text }, finish_reason: finish, index: 0 } : { text, finish_reason: finish, index: 0 };
    return { id: "x", object: chat ? "chat.completion" : "text_completion", created: 0, model: "m", choices: [choice], usage: usage(n) } as unknown as ChatCompletion as never;
  }
}

const MODEL = "Qwen2.5-Coder-0.5B-Instruct-q4f32_1-MLC";
const req = (over: Partial<GenerateRequest> = {}): GenerateRequest => ({
  prompt: { kind: "completion", text: "You are an expert Python programmer…\n[BEGIN]\n" },
  temperature: 0.5,
  topP: 0.95,
  maxTokens: 256,
  stop: ["[DONE]"],
  seed: 42,
  repetitionPenalty: 1,
  ...over,
});

async function loadedEngine(double = new MLCEngineTestDouble()) {
  const engine = new WebLLMEngine(double, { modelId: MODEL, interruptRetryMs: 2 });
  await engine.load(() => {});
  return { engine, double };
}

describe("mapRequest: every sampling parameter explicit", () => {
  it("raw completion carries all parameters, n=1 and no stream options", () => {
    expect(mapRequest(req())).toEqual({
      kind: "completion",
      body: {
        prompt: "You are an expert Python programmer…\n[BEGIN]\n",
        temperature: 0.5,
        top_p: 0.95,
        repetition_penalty: 1,
        frequency_penalty: 0,
        presence_penalty: 0,
        max_tokens: 256,
        stop: ["[DONE]"],
        seed: 42,
        n: 1,
        stream: false,
      },
    });
  });

  it("chat keeps the messages; streaming asks for usage in the last chunk; thinking goes to extra_body", () => {
    const m = mapRequest(req({ prompt: { kind: "chat", messages: [{ role: "user", content: "Write f" }] }, temperature: 0, thinking: false }), true);
    expect(m.kind).toBe("chat");
    expect(m.body).toMatchObject({
      messages: [{ role: "user", content: "Write f" }],
      temperature: 0,
      top_p: 0.95,
      repetition_penalty: 1,
      max_tokens: 256,
      seed: 42,
      n: 1,
      stream: true,
      stream_options: { include_usage: true },
      extra_body: { enable_thinking: false },
    });
  });

  it.each<[Partial<GenerateRequest>, string]>([
    [{ seed: 1.5 }, "seed"],
    [{ topP: 0 }, "top_p"],
    [{ maxTokens: 0 }, "max_tokens"],
    [{ temperature: -1 }, "temperature"],
    [{ repetitionPenalty: 0 }, "repetition_penalty"],
    [{ stop: ["ok", ""] }, "stop"],
  ])("rejects %o naming %s", (over, field) => {
    expect(() => mapRequest(req(over))).toThrow(InvalidRequestError);
    expect(() => mapRequest(req(over))).toThrow(field);
  });
});

describe("WebLLMEngine over MLCEngineTestDouble", () => {
  it("sends the exact body and returns text, finish reason, usage, speeds and the seed", async () => {
    const { engine, double } = await loadedEngine();
    double.script = [{ text: "def f(x):\n    return x\n[DONE]\nassert f(1) == 1", promptTokens: 50 }];
    const c = await engine.generate(req({ seed: 7, stop: ["[DONE]", "\nassert"] }));
    expect(double.bodies()).toEqual([{ ...mapRequest(req({ seed: 7, stop: ["[DONE]", "\nassert"] })).body }]);
    expect(c).toMatchObject({
      text: "def f(x):\n    return x\n",
      finishReason: "stop",
      usage: { promptTokens: 50, completionTokens: 4 },
      timings: { prefillTokensPerS: 700, decodeTokensPerS: 35, timeToFirstTokenMs: 10 },
      seed: 7,
    });
    expect(c.timings.totalMs).toBeGreaterThanOrEqual(0);
  });

  it("n samples are n requests with n=1 and their own seeds", async () => {
    const { engine, double } = await loadedEngine();
    double.script = [{ text: "a" }, { text: "b" }, { text: "c" }];
    const out = await Promise.all([11, 12, 13].map((seed) => engine.generate(req({ seed }))));
    expect(double.bodies().map((b) => [b.n, b.seed])).toEqual([
      [1, 11],
      [1, 12],
      [1, 13],
    ]);
    expect(out.map((c) => [c.text, c.seed])).toEqual([
      ["a", 11],
      ["b", 12],
      ["c", 13],
    ]);
    expect(double.maxActive).toBe(1);
  });

  it("max_tokens ends a long completion with finishReason length", async () => {
    const { engine, double } = await loadedEngine();
    double.script = [{ text: "one two three four five" }];
    const c = await engine.generate(req({ maxTokens: 2 }));
    expect(c).toMatchObject({ text: "one two ", finishReason: "length", usage: { completionTokens: 2 } });
  });

  it("Stop during generation interrupts and keeps the partial text", async () => {
    const { engine, double } = await loadedEngine();
    double.script = [{ text: "x ".repeat(200), tokenDelayMs: 2 }];
    const ctl = new AbortController();
    const p = engine.generate(req(), ctl.signal);
    await tick(15);
    ctl.abort();
    const c = await p;
    expect(c.finishReason).toBe("abort");
    expect(c.text.length).toBeGreaterThan(0);
    expect(c.text.length).toBeLessThan(400);
    expect(double.interrupts).toBeGreaterThanOrEqual(1);
  });

  it("Stop sent before web-llm starts the request is not lost (the interrupt is repeated)", async () => {
    const { engine, double } = await loadedEngine();
    let open!: () => void;
    const startGate = new Promise<void>((r) => (open = r));
    double.script = [{ text: "y ".repeat(200), tokenDelayMs: 2, startGate }];
    const ctl = new AbortController();
    const p = engine.generate(req(), ctl.signal);
    await tick(1);
    ctl.abort(); // the double has not started: this first interrupt is discarded
    await tick(10);
    open();
    const c = await p;
    expect(c.finishReason).toBe("abort");
    expect(double.interrupts).toBeGreaterThan(1);
  });

  it("aborting a queued request removes it: web-llm never sees it", async () => {
    const { engine, double } = await loadedEngine();
    double.script = [{ text: "first", tokenDelayMs: 5 }, { text: "third" }];
    const first = engine.generate(req({ seed: 1 }));
    const ctl = new AbortController();
    const second = engine.generate(req({ seed: 2 }), ctl.signal);
    const third = engine.generate(req({ seed: 3 }));
    expect(engine.pendingRequests).toBe(2);
    ctl.abort();
    await expect(second).rejects.toMatchObject({ name: "AbortError" });
    expect((await first).text).toBe("first");
    expect((await third).text).toBe("third");
    expect(double.bodies().map((b) => b.seed)).toEqual([1, 3]);
  });

  it("streams deltas in order and ends with the same Completion", async () => {
    const { engine, double } = await loadedEngine();
    double.script = [{ text: "return a + b\n[DONE] trailing" }, { text: "chat says hi" }];
    const deltas: string[] = [];
    const c = await engine.stream(req(), (d) => deltas.push(d));
    expect(deltas.join("")).toBe("return a + b\n");
    expect(c).toMatchObject({ text: "return a + b\n", finishReason: "stop", usage: { completionTokens: 4 }, timings: { decodeTokensPerS: 35 } });
    expect(double.bodies()[0]).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    const chatDeltas: string[] = [];
    const chat = await engine.stream(req({ prompt: { kind: "chat", messages: [{ role: "user", content: "hi" }] } }), (d) => chatDeltas.push(d));
    expect(chatDeltas).toEqual(["chat ", "says ", "hi"]);
    expect(chat.text).toBe("chat says hi");
  });

  it("translates plain-string rejections; a lost device blocks generation until reloaded", async () => {
    const { engine, double } = await loadedEngine();
    double.script = [{ reject: "DeviceLostError: The WebGPU device was lost while loading the model." }];
    await expect(engine.generate(req())).rejects.toBeInstanceOf(DeviceLostError);
    await expect(engine.generate(req())).rejects.toBeInstanceOf(DeviceLostError);
    expect(double.bodies()).toHaveLength(1);
    await engine.load(() => {});
    double.script = [{ text: "ok" }];
    expect((await engine.generate(req())).text).toBe("ok");
  });

  it("an unknown rejection keeps its text", async () => {
    const { engine, double } = await loadedEngine();
    double.script = [{ reject: new Error("Something odd") }];
    const e = await engine.generate(req()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WebLLMError);
    expect((e as Error).message).toContain("Something odd");
  });

  it("generate before load says to load first", async () => {
    const engine = new WebLLMEngine(new MLCEngineTestDouble(), { modelId: MODEL });
    await expect(engine.generate(req())).rejects.toBeInstanceOf(EngineNotLoadedError);
  });

  it("a dead worker rejects the running and waiting requests instead of hanging", async () => {
    const { engine, double } = await loadedEngine();
    let open!: () => void;
    double.script = [{ text: "never", startGate: new Promise<void>((r) => (open = r)) }];
    const running = engine.generate(req());
    const waiting = engine.generate(req());
    await tick(1);
    engine.fail(new WebLLMError("the model worker stopped"));
    await expect(running).rejects.toThrow("the model worker stopped");
    await expect(waiting).rejects.toThrow("the model worker stopped");
    open();
  });
});

describe("WebLLMEngine.load", () => {
  const reports: InitProgressReport[] = [
    { progress: 0, timeElapsed: 0, text: "Start to fetch params" },
    { progress: 0.25, timeElapsed: 4, text: "Fetching param cache[3/12]: 70MB fetched. 25% completed, 4 secs elapsed. It can take a while when we first visit this page to populate the cache. Later refreshes will become faster." },
    { progress: 0.5, timeElapsed: 1, text: "Loading model from cache[6/12]: 140MB loaded. 50% completed, 1 secs elapsed." },
    { progress: 0.5, timeElapsed: 2, text: "Loading GPU shader modules[40/80]: 50% completed, 2 secs elapsed." },
    { progress: 1, timeElapsed: 3, text: "Finish loading on WebGPU - google" },
  ];

  it("reports phases with bytes, totals and ETA, then ready", async () => {
    const double = new MLCEngineTestDouble();
    double.reloadScript = { reports };
    const engine = new WebLLMEngine(double, { modelId: MODEL, chatOpts: { context_window_size: 2048 } });
    const seen: LoadProgress[] = [];
    await engine.load((p) => seen.push(p));
    expect(seen.map((p) => p.phase)).toEqual(["check", "download", "download", "load", "shaders", "ready", "ready"]);
    const fetching = seen[2]!;
    expect(fetching).toMatchObject({ fraction: 0.25, bytesLoaded: 70 * 2 ** 20, bytesTotal: 280 * 2 ** 20, etaMs: 12000 });
    expect(double.calls[0]).toEqual({ method: "reload", body: { modelId: MODEL, chatOpts: { context_window_size: 2048 } } });
    expect(engine.loaded).toBe(true);
    expect(engine.describe()).toEqual({
      kind: "webllm",
      modelId: MODEL,
      quantisation: "q4f32_1",
      libraries: { "@mlc-ai/web-llm": "0.2.86" },
      contextWindow: 2048,
    });
  });

  it("offline: web-llm's bare-string rejection becomes ModelDownloadError, and Retry works", async () => {
    const double = new MLCEngineTestDouble();
    double.reloadScript = { reject: "TypeError: Failed to fetch" };
    const engine = new WebLLMEngine(double, { modelId: MODEL });
    const e = await engine.load(() => {}).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ModelDownloadError);
    expect(e).toMatchObject({ failure: "offline", retryable: true, modelId: MODEL });
    expect(engine.loaded).toBe(false);
    double.reloadScript = {};
    await engine.load(() => {});
    expect(engine.loaded).toBe(true);
  });

  it("a download that breaks part way is a network error, not offline", async () => {
    const double = new MLCEngineTestDouble();
    double.reloadScript = { reports: reports.slice(0, 2), reject: "TypeError: Failed to fetch" };
    const engine = new WebLLMEngine(double, { modelId: MODEL });
    await expect(engine.load(() => {})).rejects.toMatchObject({ failure: "network" });
  });

  it("Cancel aborts a hanging load at once and unloads web-llm", async () => {
    const double = new MLCEngineTestDouble();
    double.reloadScript = { reports: reports.slice(0, 2), hang: true };
    const engine = new WebLLMEngine(double, { modelId: MODEL });
    const ctl = new AbortController();
    const p = engine.load(() => {}, ctl.signal);
    await tick(5);
    ctl.abort();
    await expect(p).rejects.toMatchObject({ name: "AbortError" });
    expect(double.calls.map((c) => c.method)).toEqual(["reload", "unload"]);
    expect(engine.loaded).toBe(false);
  });
});

describe("progressFromReport and storageInfo", () => {
  it("maps unknown text to check and the finish line to ready", () => {
    expect(progressFromReport({ progress: 0.3, timeElapsed: 0, text: "something new" }, 10)).toMatchObject({ phase: "check", fraction: 0.3, elapsedMs: 10 });
    expect(progressFromReport({ progress: 0, timeElapsed: 0, text: "Finish loading on WebGPU - x" }, 10)).toMatchObject({ phase: "ready", fraction: 1 });
  });
  it("falls back to our own phase clock for the ETA", () => {
    const p = progressFromReport({ progress: 0.5, timeElapsed: 0, text: "Fetching param cache[1/2]: 10MB fetched. 50% completed, 0 secs elapsed." }, 3000, 1000);
    expect(p.etaMs).toBe(2000);
  });
  it("reads navigator.storage.estimate and persisted", async () => {
    expect(await storageInfo({ estimate: async () => ({ usage: 5, quota: 100 }), persisted: async () => true })).toEqual({ usageBytes: 5, quotaBytes: 100, persisted: true });
    expect(await storageInfo(undefined)).toBeUndefined();
  });
});
