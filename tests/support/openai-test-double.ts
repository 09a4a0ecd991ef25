import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A protocol test double of an OpenAI-compatible server (llama.cpp / Ollama / vLLM stand-in):
 * a real node:http server that records every request and answers /v1/models,
 * /v1/completions and /v1/chat/completions from a script. Unit tests use it from Node; e2e tests
 * start it from Playwright's side so the page talks to it across origins (with or without CORS).
 */

export interface ScriptedAnswer {
  text: string;
  /** Default "stop"; "length" when max_tokens cut the text. */
  finishReason?: string;
  /** Answer with this HTTP status and `error` instead of a completion. */
  status?: number;
  error?: string;
  /** Milliseconds before answering (and between streamed pieces). */
  delayMs?: number;
  promptTokens?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: { authorization?: string; contentType?: string; origin?: string };
  /** Parsed JSON body of POSTs. */
  body?: Record<string, unknown>;
}

export interface OpenAITestDoubleOptions {
  /** Send Access-Control-Allow-* headers and answer preflights. */
  cors: boolean;
  /** Answer for the i-th generation request; default echoes seed and temperature. */
  script?: (body: Record<string, unknown>, index: number) => ScriptedAnswer;
  /** /v1/models ids; `null` answers 404 (a server without the route). */
  models?: string[] | null;
  /** Require `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Add llama.cpp-style `timings` to answers. */
  llamaCppTimings?: boolean;
  port?: number;
  host?: string;
}

export interface OpenAITestDouble {
  /** Base URL including /v1, e.g. http://127.0.0.1:41234/v1 */
  url: string;
  origin: string;
  requests: RecordedRequest[];
  /** Bodies of generation requests only, in arrival order. */
  generationBodies(): Record<string, unknown>[];
  close(): Promise<void>;
}

const defaultScript = (body: Record<string, unknown>): ScriptedAnswer => ({
  text: `    return ${JSON.stringify(`seed=${String(body.seed)} t=${String(body.temperature)}`)}\n`,
});

function corsHeaders(req: IncomingMessage): Record<string, string> {
  return {
    "Access-Control-Allow-Origin": req.headers.origin ?? "*",
    "Access-Control-Allow-Headers": "Authorization, Content-Type",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    // Our app page is cross-origin isolated (COEP require-corp); CORS-mode fetches need no CORP,
    // but the header lets no-cors probes through too.
    "Cross-Origin-Resource-Policy": "cross-origin",
    Vary: "Origin",
  };
}

/** Cuts `text` at the first stop string, the way servers do. */
function applyStop(text: string, stop: unknown): { text: string; stopped: boolean } {
  const stops = Array.isArray(stop) ? stop.filter((s): s is string => typeof s === "string") : typeof stop === "string" ? [stop] : [];
  let cut = text.length;
  for (const s of stops) {
    const i = text.indexOf(s);
    if (i >= 0 && i < cut) cut = i;
  }
  return { text: text.slice(0, cut), stopped: cut < text.length };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startOpenAITestDouble(options: OpenAITestDoubleOptions): Promise<OpenAITestDouble> {
  const requests: RecordedRequest[] = [];
  let generations = 0;
  const script = options.script ?? defaultScript;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void handle(req, res, Buffer.concat(chunks).toString("utf8")).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ error: { message: String(e) } }));
      });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const cors = options.cors ? corsHeaders(req) : {};
    const rec: RecordedRequest = {
      method: req.method ?? "GET",
      path,
      headers: {
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        ...(req.headers["content-type"] ? { contentType: req.headers["content-type"] } : {}),
        ...(req.headers.origin ? { origin: req.headers.origin } : {}),
      },
    };
    if (raw) {
      try {
        rec.body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        rec.body = { unparsed: raw };
      }
    }
    requests.push(rec);
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { ...cors, "Content-Type": "application/json" });
      res.end(JSON.stringify(value));
    };

    if (req.method === "OPTIONS") {
      if (!options.cors) {
        res.writeHead(405);
        res.end();
        return;
      }
      res.writeHead(204, cors);
      res.end();
      return;
    }
    if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      json(401, { error: { message: "Invalid API key", type: "invalid_request_error" } });
      return;
    }
    if (req.method === "GET" && path === "/v1/models") {
      if (options.models === null) {
        json(404, { error: "not found" });
        return;
      }
      json(200, { object: "list", data: (options.models ?? ["test-double-model"]).map((id) => ({ id, object: "model", owned_by: "test-double" })) });
      return;
    }
    const chat = path === "/v1/chat/completions";
    if (req.method !== "POST" || !(chat || path === "/v1/completions")) {
      json(404, { error: { message: `no route ${req.method} ${path}` } });
      return;
    }
    const body = rec.body ?? {};
    const answer = script(body, generations++);
    if (answer.delayMs) await wait(answer.delayMs);
    if (answer.status && answer.status >= 400) {
      json(answer.status, { error: { message: answer.error ?? "scripted failure" } });
      return;
    }
    const { text, stopped } = applyStop(answer.text, body.stop);
    const maxTokens = typeof body.max_tokens === "number" ? body.max_tokens : Infinity;
    const pieces = (text.match(/\S+\s*|\s+/g) ?? []).slice(0, maxTokens);
    const finishReason = answer.finishReason ?? (!stopped && pieces.join("") !== text ? "length" : "stop");
    const usage = { prompt_tokens: answer.promptTokens ?? 11, completion_tokens: pieces.length, total_tokens: (answer.promptTokens ?? 11) + pieces.length };
    const timings = options.llamaCppTimings ? { timings: { prompt_per_second: 512.5, predicted_per_second: 42.25 } } : {};
    const object = chat ? "chat.completion" : "text_completion";

    if (body.stream === true) {
      res.writeHead(200, { ...cors, "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
      const send = (v: unknown) => res.write(`data: ${JSON.stringify(v)}\n\n`);
      for (const p of pieces) {
        send({ object: `${object}.chunk`, choices: [chat ? { index: 0, delta: { content: p }, finish_reason: null } : { index: 0, text: p, finish_reason: null }] });
        if (answer.delayMs) await wait(answer.delayMs);
      }
      send({ object: `${object}.chunk`, choices: [chat ? { index: 0, delta: {}, finish_reason: finishReason } : { index: 0, text: "", finish_reason: finishReason }], ...timings });
      const so = body.stream_options as { include_usage?: boolean } | undefined;
      if (so?.include_usage) send({ object: `${object}.chunk`, choices: [], usage });
      res.end("data: [DONE]\n\n");
      return;
    }
    const joined = pieces.join("");
    json(200, {
      id: `cmpl-${generations}`,
      object,
      created: 0,
      model: body.model,
      system_fingerprint: "test-double",
      choices: [chat ? { index: 0, message: { role: "assistant", content: joined }, finish_reason: finishReason } : { index: 0, text: joined, finish_reason: finishReason }],
      usage,
      ...timings,
    });
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://${options.host ?? "127.0.0.1"}:${port}`;
  return {
    url: `${origin}/v1`,
    origin,
    requests,
    generationBodies: () => requests.filter((r) => r.method === "POST").map((r) => r.body ?? {}),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

/**
 * A script that gives the i-th generation request the i-th answer (a string is a plain answer),
 * and answers any request beyond the list with HTTP 500 naming the index, so a test that makes
 * one request too many fails loudly instead of receiving a made-up completion.
 */
export function answersInOrder(answers: readonly (string | ScriptedAnswer)[]): (body: Record<string, unknown>, index: number) => ScriptedAnswer {
  return (_body, index) => {
    const a = answers[index];
    if (a === undefined) return { text: "", status: 500, error: `the test double has no answer #${index + 1} (it was scripted with ${answers.length})` };
    return typeof a === "string" ? { text: a } : a;
  };
}
