import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { modelVersion, prebuiltAppConfig } from "@mlc-ai/web-llm";
import {
  DEFAULT_FAMILY,
  MODEL_CATALOG,
  MODEL_FAMILIES,
  MODEL_LIB_VERSION,
  WEBLLM_VERSION,
  catalogModel,
  customModelRecord,
  f32Alternative,
  pickVariant,
  quantisationOf,
} from "../../src/lib/engines/models.ts";
import { CustomModelError } from "../../src/lib/engines/errors.ts";
import { repoRoot } from "../support/datasets.ts";

const prebuilt = new Map(prebuiltAppConfig.model_list.map((r) => [r.model_id, r]));

describe("curated model catalog vs web-llm's prebuiltAppConfig", () => {
  it("pins the installed web-llm version and model-library folder", () => {
    const pkg = JSON.parse(readFileSync(resolve(repoRoot, "node_modules/@mlc-ai/web-llm/package.json"), "utf8")) as { version: string };
    expect(pkg.version).toBe(WEBLLM_VERSION);
    expect(modelVersion.split("/")[0]).toBe(MODEL_LIB_VERSION);
  });

  it.each(MODEL_CATALOG.map((m) => [m.modelId, m] as const))("%s exists with the same VRAM, context and low-resource flag", (id, m) => {
    const r = prebuilt.get(id);
    expect(r, `${id} missing from web-llm ${WEBLLM_VERSION}`).toBeDefined();
    expect(r!.vram_required_MB).toBe(m.vramMB);
    expect(r!.low_resource_required ?? false).toBe(m.lowResource);
    expect(r!.overrides?.context_window_size).toBe(m.contextWindow);
    // web-llm declares shader-f16 only for some f16 records; where it does, we agree.
    if (r!.required_features?.includes("shader-f16")) expect(m.needsF16).toBe(true);
    expect(quantisationOf(id)).toBe(m.quantisation);
  });

  it("covers the families the issue asks for, each with an f16 and an f32 variant", () => {
    for (const f of ["Qwen2.5-Coder-0.5B-Instruct", "Qwen2.5-Coder-1.5B-Instruct", "Qwen2.5-Coder-3B-Instruct", "Qwen2.5-Coder-7B-Instruct", "Qwen3-0.6B", "Llama-3.2-1B-Instruct", "SmolLM2-360M-Instruct", "Phi-3.5-mini-instruct", "gemma-2-2b-it", "phi-2", "Ministral-3-3B-Base-2512"]) {
      expect(MODEL_FAMILIES).toContain(f);
      expect(pickVariant(f, true)?.quantisation).toBe("q4f16_1");
      expect(pickVariant(f, false)?.quantisation).toBe("q4f32_1");
    }
    expect(MODEL_CATALOG.filter((m) => m.kind === "base").map((m) => m.family)).toContain("Ministral-3-3B-Base-2512");
    expect(new Set(MODEL_CATALOG.map((m) => m.modelId)).size).toBe(MODEL_CATALOG.length);
  });

  it("picks q4f32_1 without shader-f16 and names it as the alternative", () => {
    expect(pickVariant(DEFAULT_FAMILY, false)?.modelId).toBe("Qwen2.5-Coder-0.5B-Instruct-q4f32_1-MLC");
    expect(pickVariant("phi-2-1k", false)?.modelId).toBe("phi-2-q4f32_1-MLC-1k");
    expect(f32Alternative("gemma-2-2b-it-q4f16_1-MLC-1k")).toBe("gemma-2-2b-it-q4f32_1-MLC-1k");
    expect(f32Alternative("gemma-2-2b-it-q4f32_1-MLC")).toBeUndefined();
    expect(pickVariant("no-such-model", true)).toBeUndefined();
  });

  it("estimates downloads from parameters (4.5 bits/weight for q4f16_1)", () => {
    expect(catalogModel("Qwen2.5-Coder-0.5B-Instruct-q4f16_1-MLC")!.approxDownloadMB).toBe(276);
    expect(catalogModel("Qwen2.5-Coder-7B-Instruct-q4f32_1-MLC")!.approxDownloadMB).toBe(4763);
  });
});

describe("customModelRecord", () => {
  const lib = `https://raw.githubusercontent.com/mlc-ai/binary-mlc-llm-libs/main/web-llm-models/${MODEL_LIB_VERSION}/base/Qwen2-0.5B-Instruct-q4f16_1_cs1k-webgpu.wasm`;

  it("resolves a relative weights URL against the page and derives id, quantisation and f16 need", () => {
    const { record, filesUrl, warnings } = customModelRecord({ modelUrl: "models/my-coder-q4f16_1-MLC", modelLibUrl: lib, contextWindow: 2048 }, "http://localhost:4173/index.html");
    expect(record).toEqual({
      model: "http://localhost:4173/models/my-coder-q4f16_1-MLC/",
      model_id: "my-coder-q4f16_1-MLC",
      model_lib: lib,
      overrides: { context_window_size: 2048 },
      required_features: ["shader-f16"],
    });
    expect(filesUrl).toBe("http://localhost:4173/models/my-coder-q4f16_1-MLC/resolve/main/");
    expect(warnings.join(" ")).toContain("resolve/main/");
  });

  it("keeps a Hugging Face /resolve/<rev>/ URL as is", () => {
    const { record, filesUrl, warnings } = customModelRecord({ modelUrl: "https://huggingface.co/me/ft-q4f32_1-MLC/resolve/abc123/", modelLibUrl: lib, modelId: "ft-q4f32_1" }, undefined);
    expect(filesUrl).toBe(record.model);
    expect(record.required_features).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it("rejects libraries for another web-llm, non-wasm libraries, bad ids and prebuilt ids", () => {
    const bad = (input: Parameters<typeof customModelRecord>[0]) => () => customModelRecord(input, "http://localhost/");
    expect(bad({ modelUrl: "https://h/m/", modelLibUrl: lib.replace(MODEL_LIB_VERSION, "v0_2_48") })).toThrow(/built for web-llm v0_2_48/);
    expect(bad({ modelUrl: "https://h/m/", modelLibUrl: "https://h/lib/" })).toThrow(CustomModelError);
    expect(bad({ modelUrl: "https://h/m/", modelLibUrl: lib, modelId: "has space" })).toThrow(/may only contain/);
    expect(bad({ modelUrl: "https://h/m/", modelLibUrl: lib, modelId: "phi-2-q4f16_1-MLC" })).toThrow(/already a prebuilt/);
    expect(bad({ modelUrl: "ftp://h/m/", modelLibUrl: lib })).toThrow(/http\(s\)/);
    expect(() => customModelRecord({ modelUrl: "relative/only", modelLibUrl: lib }, undefined)).toThrow(/not a URL/);
    expect(bad({ modelUrl: "https://h/m/", modelLibUrl: lib, contextWindow: 0.5 })).toThrow(/context window/);
  });

  it("warns when the library URL does not name its web-llm version", () => {
    const { warnings } = customModelRecord({ modelUrl: "https://huggingface.co/me/m", modelLibUrl: "https://cdn.example/m.wasm" }, undefined);
    expect(warnings).toEqual([expect.stringContaining(MODEL_LIB_VERSION)]);
  });
});
