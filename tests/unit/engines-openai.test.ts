import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "node:net";
import { OpenAICompatibleEngine, explainFetchFailure, normaliseBaseUrl, type PageContext } from "../../src/lib/engines/openai.ts";
import {
  EndpointCorsError,
  EndpointHttpError,
  EndpointMixedContentError,
  EndpointUnreachableError,
  InvalidRequestError,
} from "../../src/lib/engines/errors.ts";
import type { GenerateRequest, LoadProgress } from "../../src/lib/engines/types.ts";
import { startOpenAITestDouble, type OpenAITestDouble } from "../support/openai-test-double.ts";

const req = (over: Partial<GenerateRequest> = {}): GenerateRequest => ({
  prompt: { kind: "completion", text: "def add(a, b):\n" },
  temperature: 0.8,
  topP: 0.95,
  maxTokens: 64,
  stop: ["\ndef", "\nassert"],
  seed: 3,
  repetitionPenalty: 1,
  ...over,
});

/** A port nothing listens on: bind, note the port, close. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("OpenAICompatibleEngine against the protocol test double", () => {
  let server: OpenAITestDouble;
  beforeAll(async () => {
    server = await startOpenAITestDouble({
      cors: true,
      apiKey: "sk-test",
      models: ["qwen2.5-coder:0.5b-instruct-q4_K_M", "other"],
      llamaCppTimings: true,
      script: (body, i) =>
        body.prompt === "boom"
          ? { text: "", status: 400, error: "max_tokens is too large" }
          : { text: `    return a + b  # sample ${i} seed ${String(body.seed)}\nassert add(1, 2) == 3\n` },
    });
  });
  afterAll(() => server.close());
  const engine = () => new OpenAICompatibleEngine({ baseUrl: server.url, model: "qwen2.5-coder:0.5b-instruct-q4_K_M", apiKey: "sk-test" });

  it("load lists the models with the API key and reports ready", async () => {
    const e = engine();
    const seen: LoadProgress[] = [];
    await e.load((p) => seen.push(p));
    expect(e.models).toEqual(["qwen2.5-coder:0.5b-instruct-q4_K_M", "other"]);
    expect(seen.at(-1)).toMatchObject({ phase: "ready", fraction: 1 });
    const get = server.requests.find((r) => r.method === "GET")!;
    expect(get).toMatchObject({ path: "/v1/models", headers: { authorization: "Bearer sk-test" } });
    expect(e.describe()).toEqual({ kind: "openai", modelId: "qwen2.5-coder:0.5b-instruct-q4_K_M", quantisation: "q4_K_M", libraries: {}, endpoint: server.url });
    expect(JSON.stringify(e.describe())).not.toContain("sk-test");
  });

  it("raw prompts go to /v1/completions with exactly the chosen parameters; n samples are n requests", async () => {
    const e = engine();
    const before = server.requests.length;
    const out = await Promise.all([1, 2, 3].map((seed) => e.generate(req({ seed }))));
    const posts = server.requests.slice(before);
    expect(posts.map((r) => r.path)).toEqual(["/v1/completions", "/v1/completions", "/v1/completions"]);
    expect(posts[0]!.headers).toMatchObject({ authorization: "Bearer sk-test", contentType: "application/json" });
    expect(posts.map((r) => r.body)).toEqual(
      [1, 2, 3].map((seed) => ({
        model: "qwen2.5-coder:0.5b-instruct-q4_K_M",
        prompt: "def add(a, b):\n",
        temperature: 0.8,
        top_p: 0.95,
        max_tokens: 64,
        stop: ["\ndef", "\nassert"],
        seed,
        n: 1,
        stream: false,
      })),
    );
    expect(out.map((c) => c.seed)).toEqual([1, 2, 3]);
    expect(out[0]).toMatchObject({
      finishReason: "stop",
      usage: { promptTokens: 11, completionTokens: 10 },
      timings: { prefillTokensPerS: 512.5, decodeTokensPerS: 42.25 },
    });
    // The server cut each text at the "\nassert" stop string, and each answer echoes its own seed.
    expect(out.map((c) => /^ {4}return a \+ b {2}# sample \d+ seed (\d+)$/.exec(c.text)?.[1])).toEqual(["1", "2", "3"]);
    expect(e.describe().detail).toEqual({ systemFingerprint: "test-double" });
  });

  it("chat goes to /v1/chat/completions; repetition_penalty is sent only when not 1", async () => {
    const e = engine();
    const c = await e.generate(req({ prompt: { kind: "chat", messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "add" }] }, repetitionPenalty: 1.1 }));
    const last = server.requests.at(-1)!;
    expect(last.path).toBe("/v1/chat/completions");
    expect(last.body).toMatchObject({ messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "add" }], repetition_penalty: 1.1, n: 1 });
    expect(last.body).not.toHaveProperty("prompt");
    expect(c.text).toMatch(/^ {4}return a \+ b/);
  });

  it("max_tokens cuts with finishReason length", async () => {
    const c = await engine().generate(req({ maxTokens: 2, stop: [] }));
    expect(c).toMatchObject({ text: "    return ", finishReason: "length", usage: { completionTokens: 2 } });
  });

  it("streams completions (SSE) with usage and time to first token", async () => {
    const deltas: string[] = [];
    const c = await engine().stream(req(), (d) => deltas.push(d));
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join("")).toBe(c.text);
    expect(c).toMatchObject({ finishReason: "stop", usage: { completionTokens: deltas.length }, timings: { decodeTokensPerS: 42.25 } });
    expect(c.timings.timeToFirstTokenMs).toBeGreaterThanOrEqual(0);
    expect(server.requests.at(-1)!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    const chatDeltas: string[] = [];
    const chat = await engine().stream(req({ prompt: { kind: "chat", messages: [{ role: "user", content: "x" }] } }), (d) => chatDeltas.push(d));
    expect(chat.text).toBe(chatDeltas.join(""));
    expect(chat.text).toContain("return a + b");
  });

  it("HTTP errors carry the status and the server's message; a wrong key says so", async () => {
    const bad = await engine().generate(req({ prompt: { kind: "completion", text: "boom" } })).catch((x: unknown) => x);
    expect(bad).toBeInstanceOf(EndpointHttpError);
    expect(bad).toMatchObject({ status: 400 });
    expect((bad as Error).message).toContain("max_tokens is too large");
    const noKey = new OpenAICompatibleEngine({ baseUrl: server.url, model: "m", apiKey: "wrong" });
    await expect(noKey.load(() => {})).rejects.toThrow(/HTTP 401.*API key/);
  });

  it("invalid parameters never reach the server", async () => {
    const before = server.requests.length;
    await expect(engine().generate(req({ seed: 0.5 }))).rejects.toBeInstanceOf(InvalidRequestError);
    expect(server.requests.length).toBe(before);
  });
});

describe("OpenAICompatibleEngine: abort and failures", () => {
  it("Stop while streaming keeps the partial text; a queued request is dropped unsent", async () => {
    const server = await startOpenAITestDouble({ cors: true, script: () => ({ text: "a ".repeat(100), delayMs: 5 }) });
    try {
      const e = new OpenAICompatibleEngine({ baseUrl: server.url, model: "m" });
      const ctl = new AbortController();
      const deltas: string[] = [];
      const p = e.stream(req({ stop: [] }), (d) => {
        deltas.push(d);
        if (deltas.length === 3) ctl.abort();
      }, ctl.signal);
      const queuedCtl = new AbortController();
      const queued = e.generate(req({ seed: 99 }), queuedCtl.signal);
      queuedCtl.abort();
      await expect(queued).rejects.toMatchObject({ name: "AbortError" });
      const c = await p;
      expect(c.finishReason).toBe("abort");
      expect(c.text).toBe("a a a ");
      expect(server.generationBodies().map((b) => b.seed)).toEqual([3]);
    } finally {
      await server.close();
    }
  });

  it("a server without /v1/models still loads", async () => {
    const server = await startOpenAITestDouble({ cors: true, models: null });
    try {
      const e = new OpenAICompatibleEngine({ baseUrl: server.origin, model: "m" });
      expect(e.baseUrl).toBe(server.url);
      const seen: LoadProgress[] = [];
      await e.load((p) => seen.push(p));
      expect(e.models).toBeUndefined();
      expect(seen.at(-1)!.text).toContain("does not list its models");
    } finally {
      await server.close();
    }
  });

  it("nothing listening → EndpointUnreachableError (Node has no CORS to blame)", async () => {
    const port = await closedPort();
    const e = new OpenAICompatibleEngine({ baseUrl: `http://127.0.0.1:${port}`, model: "m", page: undefined });
    const err = await e.load(() => {}).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(EndpointUnreachableError);
    expect((err as Error).message).toContain(`http://127.0.0.1:${port}/v1/models`);
  });

  it("normaliseBaseUrl adds /v1 to a bare host only", () => {
    expect(normaliseBaseUrl("http://localhost:8080")).toBe("http://localhost:8080/v1");
    expect(normaliseBaseUrl(" http://localhost:8000/v1/ ")).toBe("http://localhost:8000/v1");
    expect(normaliseBaseUrl("https://proxy.example/llm/v1")).toBe("https://proxy.example/llm/v1");
    expect(() => normaliseBaseUrl("localhost:8080")).toThrow(/http/);
  });
});

describe("explainFetchFailure (how a browser's bare TypeError is explained)", () => {
  const page: PageContext = { origin: "http://localhost:4173", protocol: "http:", crossOriginIsolated: false };
  const fails = (() => Promise.reject(new TypeError("Failed to fetch"))) as unknown as typeof fetch;
  const answers = (() => Promise.resolve(new Response(null))) as unknown as typeof fetch;
  const failure = new TypeError("Failed to fetch");

  it("a no-cors probe that gets an answer proves CORS is the cause", async () => {
    const e = await explainFetchFailure("http://localhost:8080/v1/models", failure, page, answers);
    expect(e).toBeInstanceOf(EndpointCorsError);
    expect(e).toMatchObject({ reachable: true });
    expect(e.message).toContain("Access-Control-Allow-Origin: http://localhost:4173");
  });
  it("no answer on a normal page → unreachable; on an isolated page → both causes named", async () => {
    expect(await explainFetchFailure("http://localhost:8080/v1/models", failure, page, fails)).toBeInstanceOf(EndpointUnreachableError);
    const isolated = await explainFetchFailure("http://localhost:8080/v1/models", failure, { ...page, crossOriginIsolated: true }, fails);
    expect(isolated).toBeInstanceOf(EndpointCorsError);
    expect(isolated.message).toContain("either the server is not running");
  });
  it("https page to a plain-http LAN host is mixed content; same origin is never CORS", async () => {
    const https: PageContext = { origin: "https://play.example", protocol: "https:", crossOriginIsolated: true };
    expect(await explainFetchFailure("http://192.168.1.5:8080/v1/models", failure, https, answers)).toBeInstanceOf(EndpointMixedContentError);
    expect(await explainFetchFailure("http://127.0.0.1:8080/v1/models", failure, https, answers)).toBeInstanceOf(EndpointCorsError);
    expect(await explainFetchFailure("http://localhost:4173/v1/models", failure, page, answers)).toBeInstanceOf(EndpointUnreachableError);
  });
});
