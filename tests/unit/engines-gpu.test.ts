import { describe, expect, it } from "vitest";
import { checkWebGPU, type GpuAdapterLike, type NavigatorLike } from "../../src/lib/engines/gpu.ts";
import { AdapterLimitsError, NoAdapterError, WebGPUUnavailableError } from "../../src/lib/engines/errors.ts";

const GiB = 1 << 30;
/** Limits of Chromium's SwiftShader adapter as measured here (RUNTIME_FACTS §11). */
const swiftshaderLimits = {
  maxBufferSize: GiB,
  maxStorageBufferBindingSize: GiB,
  maxComputeWorkgroupStorageSize: 32768,
  maxStorageBuffersPerShaderStage: 10,
  maxComputeInvocationsPerWorkgroup: 256,
};

function adapter(features: string[], limits: Record<string, number> = swiftshaderLimits, info: GpuAdapterLike["info"] = {}): GpuAdapterLike {
  return { features: new Set(features), limits, info };
}
const nav = (a: GpuAdapterLike | null | (() => never)): NavigatorLike => ({
  gpu: { requestAdapter: async () => (typeof a === "function" ? a() : a) },
});

describe("checkWebGPU", () => {
  it("no navigator.gpu → WebGPUUnavailableError naming browsers; insecure page says so", async () => {
    const r = await checkWebGPU({}, true);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBeInstanceOf(WebGPUUnavailableError);
    expect(r.error.message).toMatch(/Chrome or Edge 113\+/);
    expect(r.error.message).toMatch(/OpenAI-compatible endpoint and Replay/);
    const insecure = await checkWebGPU(undefined, false);
    expect(!insecure.ok && insecure.error.message).toMatch(/secure pages/);
  });

  it("null adapter or a throwing requestAdapter → NoAdapterError", async () => {
    const r = await checkWebGPU(nav(null), true);
    expect(!r.ok && r.error).toBeInstanceOf(NoAdapterError);
    const t = await checkWebGPU(
      nav(() => {
        throw new Error("GPU process crashed");
      }),
      true,
    );
    expect(!t.ok && t.error.message).toContain("GPU process crashed");
  });

  it("SwiftShader without shader-f16 → ok, q4f32_1, fallback warning", async () => {
    const r = await checkWebGPU(nav(adapter([], swiftshaderLimits, { architecture: "swiftshader", vendor: "google", isFallbackAdapter: true })), true);
    expect(r).toMatchObject({ ok: true, hasF16: false, preferredQuantisation: "q4f32_1", adapter: { architecture: "swiftshader", isFallback: true } });
    expect(r.ok && r.warnings.join(" ")).toMatch(/software .*adapter/);
    expect(r.ok && r.warnings.join(" ")).toMatch(/shader-f16/);
  });

  it("a GPU with shader-f16 and full limits → q4f16_1 and no warnings", async () => {
    const r = await checkWebGPU(nav(adapter(["shader-f16", "subgroups"], { ...swiftshaderLimits, maxBufferSize: 4 * GiB })), true);
    expect(r).toMatchObject({ ok: true, hasF16: true, preferredQuantisation: "q4f16_1", warnings: [] });
  });

  it("limits between web-llm's fallback and preferred values warn; below the fallback fail", async () => {
    const reduced = await checkWebGPU(nav(adapter(["shader-f16"], { ...swiftshaderLimits, maxStorageBufferBindingSize: 128 << 20 })), true);
    expect(reduced.ok && reduced.warnings).toEqual([expect.stringContaining("maxStorageBufferBindingSize is 128 MB")]);
    const tooSmall = await checkWebGPU(nav(adapter(["shader-f16"], { ...swiftshaderLimits, maxStorageBufferBindingSize: 64 << 20 })), true);
    expect(!tooSmall.ok && tooSmall.error).toBeInstanceOf(AdapterLimitsError);
    expect(!tooSmall.ok && tooSmall.error).toMatchObject({ limit: "maxStorageBufferBindingSize", available: 64 << 20, required: 128 << 20 });
    // Firefox's 16 KB workgroup storage is below web-llm's 32 KB (mlc-ai/web-llm#644).
    const firefox = await checkWebGPU(nav(adapter([], { ...swiftshaderLimits, maxComputeWorkgroupStorageSize: 16384 })), true);
    expect(!firefox.ok && firefox.error.message).toContain("maxComputeWorkgroupStorageSize = 16384");
  });
});
