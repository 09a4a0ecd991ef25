import { EngineError } from "./errors.ts";
import type { Completion, GenerateRequest, LoadProgress, Prompt, SamplingParams } from "./types.ts";

/**
 * The engine screen's "try it" and load-progress logic, kept out of the views so Node tests can
 * reach it: stop strings typed by a person, n samples as n requests, tokens per second, and the
 * words for a progress bar.
 */

/**
 * One stop string per line; `\n`, `\t`, `\r` and `\\` are escapes, so a stop of a blank line is
 * written `\n\n`. Blank lines are ignored (an empty stop string is invalid everywhere).
 */
export function parseStopStrings(text: string): string[] {
  return text
    .split(/\r?\n/)
    .filter((line) => line.length > 0)
    .map((line) => line.replace(/\\(\\|n|t|r)/g, (_, c: string) => ({ "\\": "\\", n: "\n", t: "\t", r: "\r" })[c]!));
}

/** The inverse of parseStopStrings, for showing stored stops in the text box. */
export function formatStopStrings(stops: readonly string[]): string {
  return stops.map((s) => s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\t/g, "\\t").replace(/\r/g, "\\r")).join("\n");
}

/**
 * n samples are n requests with seeds seed, seed+1, …: every engine answers one sample per
 * request (types.ts), and each sample keeps the seed it was drawn with. Replay requests name
 * samples 0..n-1 of `replayTaskId`.
 */
export function trialRequests(prompt: Prompt, params: SamplingParams, n: number, replayTaskId?: string): GenerateRequest[] {
  if (!(Number.isInteger(n) && n >= 1 && n <= 100)) throw new RangeError(`n must be a whole number from 1 to 100 (got ${n}).`);
  return Array.from({ length: n }, (_, i) => ({
    ...params,
    stop: [...params.stop],
    prompt,
    seed: params.seed + i,
    ...(replayTaskId !== undefined ? { replayKey: { taskId: replayTaskId, sampleIndex: i } } : {}),
  }));
}

/**
 * Decode speed of a finished sample: the engine's own figure when it has one (web-llm's
 * decode_tokens_per_s, llama.cpp's predicted_per_second), else tokens over the time after the
 * first token, else over the whole request. Undefined when the engine reported no tokens.
 */
export function tokensPerSecond(c: Completion): number | undefined {
  if (c.timings.decodeTokensPerS !== undefined && c.timings.decodeTokensPerS > 0) return c.timings.decodeTokensPerS;
  const tokens = c.usage.completionTokens;
  if (tokens <= 0) return undefined;
  const ttft = c.timings.timeToFirstTokenMs;
  const ms = ttft !== undefined && tokens > 1 && c.timings.totalMs > ttft ? c.timings.totalMs - ttft : c.timings.totalMs;
  // The first token arrives at ttft; the rest take the remaining time.
  const counted = ttft !== undefined && tokens > 1 && c.timings.totalMs > ttft ? tokens - 1 : tokens;
  return ms > 0 ? (counted * 1000) / ms : undefined;
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "?";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? v : v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "?";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export const PHASE_LABELS: Record<LoadProgress["phase"], string> = {
  check: "Starting",
  download: "Downloading weights",
  load: "Loading weights into GPU memory",
  shaders: "Compiling GPU shaders",
  ready: "Ready",
};

export interface ProgressView {
  label: string;
  /** 0..100, rounded. */
  percent: number;
  /** "120 MB of 310 MB", when bytes are known. */
  bytes?: string;
  elapsed: string;
  /** "about 1 min 5 s left", when it can be estimated. */
  eta?: string;
}

/** Words for a load-progress bar; `elapsedMs` may come from a ticking clock rather than the last report. */
export function describeProgress(p: LoadProgress, elapsedMs: number = p.elapsedMs): ProgressView {
  return {
    label: PHASE_LABELS[p.phase],
    percent: Math.round(Math.min(1, Math.max(0, p.fraction)) * 100),
    ...(p.bytesLoaded !== undefined ? { bytes: p.bytesTotal ? `${formatBytes(p.bytesLoaded)} of ${formatBytes(p.bytesTotal)}` : formatBytes(p.bytesLoaded) } : {}),
    elapsed: formatDuration(elapsedMs),
    ...(p.etaMs !== undefined ? { eta: `about ${formatDuration(p.etaMs)} left` } : {}),
  };
}

/** An engine that cannot be made as configured (no samples chosen, no model name); nothing to retry. */
export class EngineSetupError extends EngineError {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = "EngineSetupError";
  }
}
