import { describe, expect, it } from "vitest";
import { describeProgress, formatBytes, formatDuration, formatStopStrings, parseStopStrings, tokensPerSecond, trialRequests } from "../../src/lib/engines/trial.ts";
import type { Completion, SamplingParams } from "../../src/lib/engines/types.ts";

const params: SamplingParams = { temperature: 0.5, topP: 0.95, maxTokens: 128, stop: ["[DONE]"], seed: 10, repetitionPenalty: 1 };
const completion = (over: Partial<Completion> & { timings?: Partial<Completion["timings"]> }): Completion => ({
  text: "",
  finishReason: "stop",
  seed: 1,
  ...over,
  usage: { promptTokens: 5, completionTokens: 0, ...over.usage },
  timings: { totalMs: 0, ...over.timings },
});

describe("try-it helpers", () => {
  it("reads stop strings one per line with escapes, and writes them back", () => {
    const typed = "\\n\\ndef \n[DONE]\n\n\\\\n literal\n\\tTab";
    const stops = parseStopStrings(typed);
    expect(stops).toEqual(["\n\ndef ", "[DONE]", "\\n literal", "\tTab"]);
    expect(parseStopStrings(formatStopStrings(stops))).toEqual(stops);
  });

  it("makes n requests with consecutive seeds, and replay keys for replay", () => {
    const reqs = trialRequests({ kind: "completion", text: "x" }, params, 3);
    expect(reqs.map((r) => r.seed)).toEqual([10, 11, 12]);
    expect(reqs.every((r) => r.replayKey === undefined && r.temperature === 0.5 && r.stop[0] === "[DONE]")).toBe(true);
    expect(trialRequests({ kind: "completion", text: "" }, params, 2, "11").map((r) => r.replayKey)).toEqual([
      { taskId: "11", sampleIndex: 0 },
      { taskId: "11", sampleIndex: 1 },
    ]);
    expect(() => trialRequests({ kind: "completion", text: "" }, params, 0)).toThrow(/n must be a whole number from 1 to 100/);
  });

  it("takes the engine's decode speed, else tokens after the first over the time after it", () => {
    expect(tokensPerSecond(completion({ usage: { promptTokens: 1, completionTokens: 50 }, timings: { totalMs: 2000, decodeTokensPerS: 31.5 } }))).toBe(31.5);
    expect(tokensPerSecond(completion({ usage: { promptTokens: 1, completionTokens: 11 }, timings: { totalMs: 1500, timeToFirstTokenMs: 500 } }))).toBe(10);
    expect(tokensPerSecond(completion({ usage: { promptTokens: 1, completionTokens: 20 }, timings: { totalMs: 2000 } }))).toBe(10);
    expect(tokensPerSecond(completion({ timings: { totalMs: 0 } }))).toBeUndefined();
  });

  it("describes load progress in words", () => {
    expect(formatBytes(276_000_000)).toBe("276 MB");
    expect(formatBytes(1_234_000_000)).toBe("1.2 GB");
    expect(formatDuration(65_000)).toBe("1 min 5 s");
    expect(formatDuration(40)).toBe("40 ms");
    expect(
      describeProgress({ phase: "download", fraction: 0.25, bytesLoaded: 100e6, bytesTotal: 400e6, elapsedMs: 8000, etaMs: 24_000, text: "Fetching param cache[3/20]" }, 9000),
    ).toEqual({ label: "Downloading weights", percent: 25, bytes: "100 MB of 400 MB", elapsed: "9 s", eta: "about 24 s left" });
  });
});
