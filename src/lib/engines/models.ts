import type { ModelRecord } from "@mlc-ai/web-llm";
import { CustomModelError } from "./errors.ts";

/** The web-llm we build against; a unit test checks both against the installed package. */
export const WEBLLM_VERSION = "0.2.86";
/** web-llm's `modelVersion`: prebuilt model libraries live under this folder name. */
export const MODEL_LIB_VERSION = "v0_2_86";

export type Quantisation = "q4f16_1" | "q4f32_1" | "q0f16" | "q0f32";

export interface CatalogModel {
  /** web-llm `model_id`. */
  modelId: string;
  /** Same model whatever the quantisation: "Qwen2.5-Coder-0.5B-Instruct", "phi-2-1k". */
  family: string;
  quantisation: Quantisation;
  /** Billions of parameters, from the model cards (rounded). */
  paramsB: number;
  /** `base`: raw text continuation, for the paper's few-shot prompt. `instruct`: chat template. */
  kind: "base" | "instruct";
  /** Trained mainly on code. */
  code: boolean;
  /** Qwen3: emits `<think>` blocks unless thinking is turned off. */
  thinking: boolean;
  /** web-llm's `vram_required_MB` (prebuiltAppConfig, 0.2.86). */
  vramMB: number;
  /** web-llm's `low_resource_required`: meant to fit small/mobile GPUs. */
  lowResource: boolean;
  contextWindow: number;
  /** Needs the WebGPU `shader-f16` feature (every f16 variant computes in f16; web-llm declares it only for some). */
  needsF16: boolean;
  /**
   * Estimated download in MB: parameters × bits per weight (q4: 4 bits + one f16/f32 scale per
   * group of 32 = 4.5 / 5 bits; q0f16 16 bits; q0f32 32 bits). Load progress reports the exact total.
   */
  approxDownloadMB: number;
}

type Row = [family: string, paramsB: number, kind: "base" | "instruct", code: boolean, ctx: number, f16: [vram: number, lowRes: boolean], f32: [vram: number, lowRes: boolean]];

// Figures copied from @mlc-ai/web-llm 0.2.86 prebuiltAppConfig.model_list (checked by a unit test).
// "-1k" rows are web-llm's reduced-context records of the same weights.
const ROWS: Row[] = [
  ["Qwen2.5-Coder-0.5B-Instruct", 0.49, "instruct", true, 4096, [944.62, true], [1060.2, true]],
  ["Qwen2.5-Coder-1.5B-Instruct", 1.54, "instruct", true, 4096, [1629.75, false], [1888.97, false]],
  ["Qwen2.5-Coder-3B-Instruct", 3.09, "instruct", true, 4096, [2504.76, true], [2893.64, true]],
  ["Qwen2.5-Coder-7B-Instruct", 7.62, "instruct", true, 4096, [5106.67, false], [5900.09, false]],
  ["Qwen3-0.6B", 0.6, "instruct", false, 4096, [1403.34, true], [1924.98, true]],
  ["Qwen3-1.7B", 1.7, "instruct", false, 4096, [2036.66, true], [2635.44, true]],
  ["Qwen3-4B", 4.0, "instruct", false, 4096, [3431.59, true], [4327.71, true]],
  ["Llama-3.2-1B-Instruct", 1.24, "instruct", false, 4096, [879.04, true], [1128.82, true]],
  ["Llama-3.2-3B-Instruct", 3.21, "instruct", false, 4096, [2263.69, true], [2951.51, true]],
  ["SmolLM2-360M-Instruct", 0.36, "instruct", false, 4096, [376.06, true], [579.61, true]],
  ["SmolLM2-1.7B-Instruct", 1.71, "instruct", false, 4096, [1774.19, true], [2692.38, true]],
  ["Phi-3.5-mini-instruct", 3.82, "instruct", false, 4096, [3672.07, false], [5483.12, false]],
  ["Phi-3.5-mini-instruct-1k", 3.82, "instruct", false, 1024, [2520.07, true], [3179.12, true]],
  ["Phi-4-mini-instruct", 3.84, "instruct", false, 4096, [3437.58, false], [4220.59, false]],
  ["gemma-2-2b-it", 2.61, "instruct", false, 4096, [1895.3, false], [2508.75, false]],
  ["gemma-2-2b-it-1k", 2.61, "instruct", false, 1024, [1583.3, true], [1884.75, true]],
  ["phi-1_5", 1.42, "base", true, 2048, [1210.09, true], [1682.09, true]],
  ["phi-2", 2.78, "base", true, 2048, [3053.97, false], [4032.48, false]],
  ["phi-2-1k", 2.78, "base", true, 1024, [2131.97, true], [2740.48, true]],
  ["Ministral-3-3B-Base-2512", 3.4, "base", false, 4096, [2863.69, true], [3532.37, true]],
];

const BITS: Record<Quantisation, number> = { q4f16_1: 4.5, q4f32_1: 5, q0f16: 16, q0f32: 32 };

/** web-llm ids put the quantisation before "-MLC" and a "-1k" after it. */
function idOf(family: string, q: Quantisation): string {
  const short = family.endsWith("-1k");
  return `${short ? family.slice(0, -3) : family}-${q}-MLC${short ? "-1k" : ""}`;
}

export const MODEL_CATALOG: readonly CatalogModel[] = ROWS.flatMap(([family, paramsB, kind, code, ctx, f16, f32]) =>
  (
    [
      ["q4f16_1", f16],
      ["q4f32_1", f32],
    ] as const
  ).map(([q, [vramMB, lowResource]]) => ({
    modelId: idOf(family, q),
    family,
    quantisation: q,
    paramsB,
    kind,
    code,
    thinking: family.startsWith("Qwen3-"),
    vramMB,
    lowResource,
    contextWindow: ctx,
    needsF16: q === "q4f16_1",
    approxDownloadMB: Math.round((paramsB * 1e9 * BITS[q]) / 8 / 1e6),
  })),
);

export const MODEL_FAMILIES: readonly string[] = [...new Set(MODEL_CATALOG.map((m) => m.family))];

/** The smallest code model, used by the GPU check page and as the default. */
export const DEFAULT_FAMILY = "Qwen2.5-Coder-0.5B-Instruct";

export function catalogModel(modelId: string): CatalogModel | undefined {
  return MODEL_CATALOG.find((m) => m.modelId === modelId);
}

/** The variant that runs on this GPU: q4f16_1 with shader-f16, else q4f32_1. */
export function pickVariant(family: string, hasF16: boolean): CatalogModel | undefined {
  const want: Quantisation = hasF16 ? "q4f16_1" : "q4f32_1";
  return MODEL_CATALOG.find((m) => m.family === family && m.quantisation === want);
}

/** The q4f32_1 sibling of an f16 model (offered when shader-f16 is missing). */
export function f32Alternative(modelId: string): string | undefined {
  const m = catalogModel(modelId);
  return m && m.needsF16 ? pickVariant(m.family, false)?.modelId : undefined;
}

export function quantisationOf(modelId: string): string | undefined {
  return /(q\d+f\d+(?:_\d+)?)/.exec(modelId)?.[1];
}

// --- Custom models by URL ------------------------------------------------------------------------

export interface CustomModelInput {
  /** Folder with mlc-chat-config.json, tensor-cache.json and the weight shards. May be relative to `base`. */
  modelUrl: string;
  /** The compiled model library (.wasm) matching web-llm's version. */
  modelLibUrl: string;
  /** Defaults to the last path segment of `modelUrl`. */
  modelId?: string;
  vramMB?: number;
  contextWindow?: number;
  /** Set for f16 models (q*f16*) unless told otherwise. */
  needsF16?: boolean;
}

export interface CustomModel {
  record: ModelRecord;
  /** Where web-llm will actually look for mlc-chat-config.json (it appends `resolve/main/`). */
  filesUrl: string;
  /** Things that do not stop loading but may (a library built for another web-llm version). */
  warnings: string[];
}

function absoluteUrl(field: string, value: string, base: string | undefined): URL {
  let url: URL;
  try {
    url = new URL(value.trim(), base);
  } catch {
    throw new CustomModelError(field, `"${value}" is not a URL: give a full address such as https://huggingface.co/<user>/<model>/resolve/main/`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new CustomModelError(field, `must be an http(s) URL, not ${url.protocol}`);
  return url;
}

/**
 * Builds and checks a web-llm ModelRecord for self-hosted or fine-tuned MLC weights. web-llm
 * needs `model` absolute (a relative one throws "Invalid URL", RUNTIME_FACTS §9), so relative
 * input is resolved against `base` (the page's address in the browser).
 */
export function customModelRecord(input: CustomModelInput, base: string | undefined = globalThis.location?.href): CustomModel {
  const warnings: string[] = [];
  const model = absoluteUrl("weights URL", input.modelUrl, base);
  if (!model.pathname.endsWith("/")) model.pathname += "/";
  // web-llm's cleanModelUrl (lib/index.js ~11280) appends "resolve/main/" to any URL without a
  // "/resolve/<revision>/" part, Hugging Face style; self-hosted files must sit there.
  const filesUrl = /.+\/resolve\/.+\//.test(model.href) ? model.href : `${model.href}resolve/main/`;
  if (filesUrl !== model.href && model.hostname !== "huggingface.co") warnings.push(`web-llm reads the files from ${filesUrl} (it adds resolve/main/): serve mlc-chat-config.json and tensor-cache.json there.`);
  const lib = absoluteUrl("model library URL", input.modelLibUrl, base);
  if (!lib.pathname.endsWith(".wasm")) throw new CustomModelError("model library URL", `must point at a .wasm file (got ${lib.pathname.split("/").pop() || "a folder"}).`);
  const libVersion = /v\d+_\d+_\d+/.exec(lib.href)?.[0];
  if (libVersion && libVersion !== MODEL_LIB_VERSION) {
    // Libraries compiled for another web-llm fail at load with obscure errors (mlc-ai/web-llm#633, #224).
    throw new CustomModelError("model library URL", `is built for web-llm ${libVersion}, but this app runs ${MODEL_LIB_VERSION}: use the ${MODEL_LIB_VERSION} build of the library.`);
  }
  if (!libVersion) warnings.push(`The model library URL does not say which web-llm it was built for; it must be compiled for ${MODEL_LIB_VERSION} or loading fails.`);
  const modelId = (input.modelId ?? model.pathname.split("/").filter(Boolean).pop() ?? "").trim();
  if (!/^[\w.-]+$/.test(modelId)) throw new CustomModelError("model id", `"${modelId}" may only contain letters, digits, ".", "_" and "-".`);
  if (catalogModel(modelId)) throw new CustomModelError("model id", `"${modelId}" is already a prebuilt model; give the custom one another id.`);
  const q = quantisationOf(modelId) ?? quantisationOf(lib.href);
  const needsF16 = input.needsF16 ?? (q ? /f16/.test(q) : false);
  if (input.contextWindow !== undefined && !(Number.isInteger(input.contextWindow) && input.contextWindow > 0)) {
    throw new CustomModelError("context window", "must be a positive whole number of tokens.");
  }
  const record: ModelRecord = {
    model: model.href,
    model_id: modelId,
    model_lib: lib.href,
    ...(input.vramMB ? { vram_required_MB: input.vramMB } : {}),
    ...(input.contextWindow ? { overrides: { context_window_size: input.contextWindow } } : {}),
    ...(needsF16 ? { required_features: ["shader-f16"] } : {}),
  };
  return { record, filesUrl, warnings };
}
