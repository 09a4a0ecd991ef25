import { AdapterLimitsError, NoAdapterError, WebGPUUnavailableError, errorText } from "./errors.ts";

// TypeScript 5.9's lib.dom has no WebGPU types: these are the few members we read.
export interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

export interface GpuAdapterLike {
  features: { has(name: string): boolean };
  limits: object;
  info?: GpuAdapterInfoLike;
  /** Older Chromium exposes it here rather than on `info`. */
  isFallbackAdapter?: boolean;
}

export interface NavigatorLike {
  gpu?: { requestAdapter(options?: { powerPreference?: "high-performance" | "low-power" }): Promise<GpuAdapterLike | null> };
}

/**
 * The adapter limits web-llm 0.2.86 requests in detectGPUDevice (lib/index.js ~4760): it asks for
 * `preferred` and falls back to `minimum`; below `minimum` it throws after the first download.
 */
export const WEBLLM_LIMITS = [
  { name: "maxBufferSize", minimum: 1 << 28, preferred: 1 << 30 },
  { name: "maxStorageBufferBindingSize", minimum: 1 << 27, preferred: 1 << 30 },
  { name: "maxComputeWorkgroupStorageSize", minimum: 32 << 10, preferred: 32 << 10 },
  { name: "maxStorageBuffersPerShaderStage", minimum: 10, preferred: 10 },
] as const;

export type GpuCheck =
  | {
      ok: true;
      /** shader-f16 present: q4f16_1 models run; otherwise only q4f32_1 (and q0f32) ones. */
      hasF16: boolean;
      preferredQuantisation: "q4f16_1" | "q4f32_1";
      adapter: { vendor: string; architecture: string; description: string; isFallback: boolean };
      limits: Record<string, number>;
      /** Things that work but are worth telling (a software adapter, reduced buffer limits). */
      warnings: string[];
    }
  | { ok: false; error: WebGPUUnavailableError | NoAdapterError | AdapterLimitsError };

function limitOf(limits: object, name: string): number | undefined {
  const v: unknown = (limits as Record<string, unknown>)[name];
  return typeof v === "number" ? v : undefined;
}

/**
 * Checks WebGPU the way web-llm will, but before any download (web-llm fetches the config and
 * model library first, and its worker rejects with bare strings). Pure over `nav`, so Node tests
 * pass plain objects.
 */
export async function checkWebGPU(
  nav: NavigatorLike | undefined = globalThis.navigator as NavigatorLike | undefined,
  secureContext: boolean | undefined = (globalThis as { isSecureContext?: boolean }).isSecureContext,
): Promise<GpuCheck> {
  if (!nav?.gpu) return { ok: false, error: new WebGPUUnavailableError(secureContext === false) };
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await nav.gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch (e) {
    return { ok: false, error: new NoAdapterError(errorText(e)) };
  }
  if (!adapter) return { ok: false, error: new NoAdapterError() };

  const limits: Record<string, number> = {};
  const warnings: string[] = [];
  for (const l of WEBLLM_LIMITS) {
    const v = limitOf(adapter.limits, l.name);
    if (v === undefined) continue;
    limits[l.name] = v;
    if (v < l.minimum) return { ok: false, error: new AdapterLimitsError(l.name, v, l.minimum) };
    if (v < l.preferred) warnings.push(`${l.name} is ${Math.round(v / (1 << 20))} MB (web-llm prefers ${l.preferred >> 20} MB); larger models may fail to load.`);
  }
  const invocations = limitOf(adapter.limits, "maxComputeInvocationsPerWorkgroup");
  if (invocations !== undefined) limits.maxComputeInvocationsPerWorkgroup = invocations;

  const info = adapter.info ?? {};
  const isFallback = Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter);
  if (isFallback) warnings.push("This is a software (fallback) GPU adapter, e.g. SwiftShader: models will be extremely slow or fail.");
  const hasF16 = adapter.features.has("shader-f16");
  if (!hasF16) warnings.push("No shader-f16 on this GPU: only q4f32_1 models can run (a little more memory than q4f16_1).");
  return {
    ok: true,
    hasF16,
    preferredQuantisation: hasF16 ? "q4f16_1" : "q4f32_1",
    adapter: { vendor: info.vendor ?? "", architecture: info.architecture ?? "", description: info.description ?? "", isFallback },
    limits,
    warnings,
  };
}
