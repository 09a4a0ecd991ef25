import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import {
  AdapterLimitsError,
  ContextWindowExceededError,
  DeviceLostError,
  EndpointCorsError,
  EndpointHttpError,
  ModelDownloadError,
  NoAdapterError,
  ShaderF16UnavailableError,
  StorageQuotaError,
  UnknownModelError,
  WebGPUUnavailableError,
  WebLLMError,
  errorText,
  translateWebLLMError,
} from "../../src/lib/engines/errors.ts";
import { repoRoot } from "../support/datasets.ts";

const webllmSource = readFileSync(resolve(repoRoot, "node_modules/@mlc-ai/web-llm/lib/index.js"), "utf8");

/**
 * What web-llm 0.2.86 rejects with, as the page sees it. Worker rejections are `err.toString()`
 * strings (WebWorkerMLCEngineHandler.handleTask); `fragment` must occur in web-llm's own source so
 * an upgrade that rewords a message fails here instead of silently becoming "web-llm failed".
 */
const cases: { seen: unknown; fragment: string; expected: new (...args: never[]) => Error }[] = [
  { seen: "DeviceLostError: The WebGPU device was lost while loading the model. This issue often occurs due to running out of memory (OOM).", fragment: "The WebGPU device was lost while loading the model", expected: DeviceLostError },
  { seen: "Error: Unable to find a compatible GPU. This issue might be because your computer doesn't have a GPU", fragment: "Unable to find a compatible GPU", expected: NoAdapterError },
  { seen: "WebGPUNotAvailableError: WebGPU is not supported in your current environment, but it is necessary to run the WebLLM engine.", fragment: "WebGPU is not supported in your current environment", expected: WebGPUUnavailableError },
  { seen: "ShaderF16SupportError: This model requires WebGPU extension shader-f16, which is not enabled in this browser.", fragment: "This model requires WebGPU extension shader-f16", expected: ShaderF16UnavailableError },
  { seen: "ContextWindowSizeExceededError: Prompt tokens exceed context window size: number of prompt tokens: 5000; context window size: 4096", fragment: "Prompt tokens exceed context window size: number of prompt tokens: ", expected: ContextWindowExceededError },
  { seen: "ModelNotFoundError: Cannot find model record in appConfig for X-MLC.", fragment: "Cannot find model record in appConfig for", expected: UnknownModelError },
  { seen: "Error: Cannot initialize runtime because of requested maxStorageBufferBindingSize exceeds limit. requested=128MB, limit=64MB. ", fragment: "Cannot initialize runtime because of requested maxStorageBufferBindingSize ", expected: AdapterLimitsError },
];

describe("translateWebLLMError", () => {
  it.each(cases)("$expected.name from web-llm's own message", ({ seen, fragment, expected }) => {
    expect(webllmSource).toContain(fragment);
    const e = translateWebLLMError(seen, { modelId: "m-q4f16_1-MLC", vramRequiredMB: 945, f32Alternative: "m-q4f32_1-MLC" });
    expect(e).toBeInstanceOf(expected);
  });

  it("a bare-string offline rejection becomes an offline download error with Retry", () => {
    // RUNTIME_FACTS §10: CreateWebWorkerMLCEngine rejects with the string "TypeError: Failed to fetch".
    const e = translateWebLLMError("TypeError: Failed to fetch", { modelId: "Qwen2.5-Coder-0.5B-Instruct-q4f16_1-MLC" });
    expect(e).toBeInstanceOf(ModelDownloadError);
    expect(e).toMatchObject({ failure: "offline", retryable: true });
    expect(e.message).toContain("Qwen2.5-Coder-0.5B-Instruct-q4f16_1-MLC");
    expect(e.message).toMatch(/offline|unreachable/);
  });

  it("a fetch failure after weights started arriving is a broken download, not offline", () => {
    expect(translateWebLLMError(new TypeError("Failed to fetch"), { downloadStarted: true })).toMatchObject({ failure: "network" });
  });

  it("Cache.add's 404 becomes not-found, which Retry cannot fix", () => {
    const e = translateWebLLMError("Failed to execute 'add' on 'Cache': Request failed");
    expect(e).toMatchObject({ failure: "not-found", retryable: false });
  });

  it("quota, abort and unknown messages", () => {
    expect(translateWebLLMError(new DOMException("The quota has been exceeded.", "QuotaExceededError"))).toBeInstanceOf(StorageQuotaError);
    expect(translateWebLLMError("Engine.unload() is called.")).toMatchObject({ name: "AbortError" });
    const odd = translateWebLLMError({ message: "something new" });
    expect(odd).toBeInstanceOf(WebLLMError);
    expect(odd.message).toContain("something new");
  });

  it("limits carry numbers, device loss names the model and the -1k way out, f16 names the f32 variant", () => {
    const lim = translateWebLLMError(cases[6]!.seen) as AdapterLimitsError;
    expect(lim).toMatchObject({ limit: "maxStorageBufferBindingSize", available: 64 << 20, required: 128 << 20 });
    expect(lim.message).toContain("64 MB");
    const lost = translateWebLLMError(cases[0]!.seen, { modelId: "phi-2-q4f16_1-MLC", vramRequiredMB: 3053.97 });
    expect(lost.message).toContain("phi-2-q4f16_1-MLC");
    expect(lost.message).toContain("3054 MB");
    expect(lost.message).toContain("-1k");
    const f16 = translateWebLLMError(cases[3]!.seen, { modelId: "gemma-2-2b-it-q4f16_1-MLC", f32Alternative: "gemma-2-2b-it-q4f32_1-MLC" });
    expect(f16.message).toContain("gemma-2-2b-it-q4f32_1-MLC");
  });

  it("errorText reads Errors, strings and message-bearing objects", () => {
    expect(errorText("plain")).toBe("plain");
    expect(errorText(new TypeError("Failed to fetch"))).toBe("TypeError: Failed to fetch");
    expect(errorText({ message: 3 })).toBe("3");
  });
});

describe("endpoint error messages say what to do", () => {
  it("CORS names the header, the origin and each server's switch", () => {
    const e = new EndpointCorsError("http://localhost:8080/v1/models", "http://localhost:4173", true);
    expect(e.message).toContain("Access-Control-Allow-Origin: http://localhost:4173");
    expect(e.message).toContain("Authorization, Content-Type");
    expect(e.message).toContain("OLLAMA_ORIGINS");
    expect(e.message).toContain("--allowed-origins");
    expect(e.message).toContain("answered, but");
    expect(new EndpointCorsError("u", "o").message).toContain("either the server is not running");
  });
  it("HTTP errors hint by status and are retryable only when waiting can help", () => {
    expect(new EndpointHttpError("u", 401, "bad key").message).toContain("API key");
    expect(new EndpointHttpError("u", 401, "").retryable).toBe(false);
    expect(new EndpointHttpError("u", 503, "").retryable).toBe(true);
  });
});
