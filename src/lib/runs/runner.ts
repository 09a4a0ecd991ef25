import { isAbortError, type Engine, type GenerateRequest, type Prompt } from "../engines/types.ts";
import type { TestProgram } from "../eval/program.ts";
import type { Verdict } from "../python/types.ts";
import type { Task } from "../tasks/types.ts";
import { isQuotaError, StorageFullError } from "./db.ts";
import type { RunStore } from "./store.ts";
import type { RunRecord, SampleRecord, VerdictRecord } from "./types.ts";

/** What the runner needs from the sandbox: `PythonPool` in the browser and in Node. */
export interface Executor {
  run(program: TestProgram, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<Verdict>;
}

export interface RunnerDeps {
  store: RunStore;
  engine: Engine;
  executor: Executor;
  /** The run's tasks by id (the spec lists their order). */
  tasks: ReadonlyMap<string, Task>;
  render(task: Task): { prompt: Prompt; stop: string[] };
  extract(raw: string, task: Task): { code: string; notes: string[] };
  /** The program to execute for a sample's code (programForTask, with the HumanEval prompt prefix). */
  program(task: Task, code: string): TestProgram;
}

export interface RunProgress {
  status: RunRecord["status"];
  tasksTotal: number;
  /** Tasks whose every sample has a verdict. */
  tasksDone: number;
  samplesTotal: number;
  samplesGenerated: number;
  verdictsDone: number;
  /** Since this runner started (resumed runs count from the resume). */
  elapsedMs: number;
  samplesPerS: number;
  tokensPerS: number;
  etaMs?: number;
  message?: string;
}

/** A 32-bit seed per (run seed, task position, sample): any sample can be redrawn on its own. */
export function seedFor(baseSeed: number, taskIndex: number, sampleIndex: number): number {
  let h = (baseSeed ^ 0x9e3779b9) >>> 0;
  for (const v of [taskIndex, sampleIndex]) {
    h = Math.imul(h ^ v, 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h & 0x7fffffff;
}

const key = (taskId: string, i: number) => `${taskId}\u0000${i}`;

/**
 * Executions waiting in the sandbox queue at most: a fast engine (replay) must not pile up
 * thousands of pending programs and their samples in memory, and Pause must not wait for them.
 */
const MAX_INFLIGHT = 32;

/**
 * Generation → storage → execution → storage, with generation and execution overlapped: the
 * engine works through samples one at a time while the sandbox pool runs earlier samples' tests.
 * Every completion is stored before it is executed and every verdict the moment it is known, so a
 * runner started on a half-done run (after a reload or a crash) generates only what is missing and
 * executes only samples that have no verdict: nothing is generated twice, nothing is lost.
 */
export class Runner {
  #listeners = new Set<(p: RunProgress) => void>();
  #verdictListeners = new Set<(v: VerdictRecord) => void>();
  #control = new AbortController();
  #stopReason: "pause" | "cancel" | null = null;
  #generated = new Set<string>();
  #judged = new Set<string>();
  /** Verdicts per task, kept incrementally: progress() runs on every sample of a 40,000-sample run. */
  #judgedPerTask = new Map<string, number>();
  #tasksDone = 0;
  #inflight = new Set<Promise<void>>();
  #started = 0;
  #newSamples = 0;
  #newTokens = 0;
  #status: RunRecord["status"] = "queued";
  #message: string | undefined;
  #fatal: Error | null = null;
  /** A completion that could not be stored (full disk): kept here and stored first on resume. */
  #pending: SampleRecord | null = null;

  constructor(
    private run: RunRecord,
    private readonly deps: RunnerDeps,
  ) {}

  get id(): string {
    return this.run.id;
  }

  /** Called with each verdict once it is stored (the run page's live table). */
  onVerdict(listener: (v: VerdictRecord) => void): () => void {
    this.#verdictListeners.add(listener);
    return () => this.#verdictListeners.delete(listener);
  }

  onProgress(listener: (p: RunProgress) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Runs to the end, or until paused, cancelled or stopped by an error. Resolves with the final status. */
  async start(): Promise<RunRecord["status"]> {
    const { store } = this.deps;
    const { spec } = this.run;
    this.#control = new AbortController();
    this.#stopReason = null;
    this.#fatal = null;
    this.#started = Date.now();
    this.#generated.clear();
    this.#judged.clear();
    this.#judgedPerTask.clear();
    this.#tasksDone = 0;
    this.#newSamples = 0;
    this.#newTokens = 0;
    const stored = await store.samples(this.run.id);
    for (const s of stored) this.#generated.add(key(s.taskId, s.sampleIndex));
    for (const v of await store.verdicts(this.run.id)) this.#markJudged(v.taskId, v.sampleIndex);
    await this.#setStatus("running");

    try {
      // Samples stored before a reload but never executed.
      for (const s of stored) {
        if (this.#fatal) break;
        if (!this.#judged.has(key(s.taskId, s.sampleIndex))) await this.#execute(s);
      }
      if (this.#pending) {
        const sample = this.#pending;
        await this.#storeSample(sample);
        await this.#execute(sample);
      }
      for (const [taskIndex, taskId] of spec.taskIds.entries()) {
        const task = this.deps.tasks.get(taskId);
        if (!task) throw new Error(`Task ${taskId} is not in the dataset this run was made from (${spec.dataset.name}).`);
        for (let i = 0; i < spec.sampling.n; i++) {
          if (this.#stopReason || this.#fatal) break;
          if (this.#generated.has(key(taskId, i))) continue;
          const sample = await this.#generate(task, taskIndex, i);
          if (!sample) break;
          await this.#storeSample(sample);
          await this.#execute(sample);
        }
        if (this.#stopReason || this.#fatal) break;
      }
    } catch (e) {
      this.#fatal ??= e as Error;
    }
    // Executions never reject (they record their own failures), so this always drains.
    while (this.#inflight.size) await Promise.all(this.#inflight);
    if (this.#stopReason === "cancel") return this.#finish("cancelled");
    if (this.#fatal) {
      const quota = this.#fatal instanceof StorageFullError;
      return this.#finish(quota ? "paused" : "failed", this.#fatal.message);
    }
    if (this.#stopReason === "pause") return this.#finish("paused");
    return this.#finish("done");
  }

  /** Stops generating now (the sample being generated is discarded and redrawn with the same seed on resume). */
  pause(): void {
    this.#stopReason ??= "pause";
    this.#control.abort();
  }

  cancel(): void {
    this.#stopReason = "cancel";
    this.#control.abort();
  }

  async #generate(task: Task, taskIndex: number, sampleIndex: number): Promise<SampleRecord | null> {
    const { spec } = this.run;
    const { prompt, stop } = this.deps.render(task);
    const seed = seedFor(spec.sampling.baseSeed, taskIndex, sampleIndex);
    const req: GenerateRequest = {
      prompt,
      stop,
      seed,
      temperature: spec.sampling.temperature,
      topP: spec.sampling.topP,
      maxTokens: spec.sampling.maxTokens,
      repetitionPenalty: spec.sampling.repetitionPenalty,
      replayKey: { taskId: task.id, sampleIndex },
    };
    let completion;
    try {
      completion = await this.deps.engine.generate(req, this.#control.signal);
    } catch (e) {
      if (isAbortError(e) || this.#stopReason) return null;
      throw e;
    }
    // A sample cut short by Pause (or by a failed write) is not a sample the model would have produced.
    if (completion.finishReason === "abort" && this.#control.signal.aborted) return null;
    const { code, notes } = this.deps.extract(completion.text, task);
    this.#newSamples++;
    this.#newTokens += completion.usage.completionTokens;
    return {
      runId: this.run.id,
      taskId: task.id,
      sampleIndex,
      seed: completion.seed,
      raw: completion.text,
      code,
      extractionNotes: notes,
      finishReason: completion.finishReason,
      usage: completion.usage,
      timings: completion.timings,
      createdAt: Date.now(),
    };
  }

  async #storeSample(sample: SampleRecord): Promise<void> {
    try {
      await this.deps.store.addSample(sample);
      this.#pending = null;
    } catch (e) {
      if (isQuotaError(e)) this.#pending = sample;
      throw e;
    }
    this.#generated.add(key(sample.taskId, sample.sampleIndex));
    this.#emit();
  }

  /** Queues a sample's execution; waits only while the sandbox already has MAX_INFLIGHT of ours. */
  async #execute(sample: SampleRecord): Promise<void> {
    const task = this.deps.tasks.get(sample.taskId);
    if (!task) return;
    while (this.#inflight.size >= MAX_INFLIGHT) await Promise.race(this.#inflight);
    const p = (async () => {
      let v: Verdict;
      try {
        v = await this.deps.executor.run(this.deps.program(task, sample.code), { timeoutMs: this.run.spec.timeoutMs });
      } catch (e) {
        // The sandbox itself failed (not the program): stop, keep the sample, execute it on resume.
        this.#fatal ??= new Error(`The Python sandbox failed on sample ${sample.sampleIndex + 1} of task ${sample.taskId}: ${String((e as Error)?.message ?? e)}. Resume the run once Python works again.`);
        this.#control.abort();
        return;
      }
      const record: VerdictRecord = {
        runId: this.run.id,
        taskId: sample.taskId,
        sampleIndex: sample.sampleIndex,
        kind: v.kind,
        shownPassed: v.shownPassed,
        hiddenPassed: v.hiddenPassed,
        hasHidden: task.hiddenTests.length > 0,
        failedTest: v.failedTest,
        error: v.error,
        resource: v.resource,
        tests: v.tests,
        stdout: v.stdout,
        stderr: v.stderr,
        truncated: v.truncated,
        durationMs: v.durationMs,
        timeoutMs: v.timeoutMs,
        createdAt: Date.now(),
      };
      try {
        await this.deps.store.addVerdict(record);
        this.#markJudged(sample.taskId, sample.sampleIndex);
        for (const l of this.#verdictListeners) l(record);
        this.#emit();
      } catch (e) {
        // The sample is stored; its verdict is recomputed on resume. Stop generating meanwhile.
        this.#fatal ??= isQuotaError(e) ? (e as Error) : new Error(`Could not save a verdict: ${String((e as Error)?.message ?? e)}`);
        this.#control.abort();
      }
    })();
    this.#inflight.add(p);
    void p.finally(() => this.#inflight.delete(p));
  }

  #markJudged(taskId: string, sampleIndex: number): void {
    const k = key(taskId, sampleIndex);
    if (this.#judged.has(k)) return;
    this.#judged.add(k);
    const count = (this.#judgedPerTask.get(taskId) ?? 0) + 1;
    this.#judgedPerTask.set(taskId, count);
    if (count === this.run.spec.sampling.n) this.#tasksDone++;
  }

  async #setStatus(status: RunRecord["status"], message?: string): Promise<void> {
    this.#status = status;
    this.#message = message;
    try {
      this.run = await this.deps.store.setStatus(this.run.id, status, message);
    } catch {
      // Even a full disk must not hide the status from the page.
    }
    this.#emit();
  }

  async #finish(status: RunRecord["status"], message?: string): Promise<RunRecord["status"]> {
    await this.#setStatus(status, message);
    return status;
  }

  progress(): RunProgress {
    const { spec } = this.run;
    const tasksDone = this.#tasksDone;
    const elapsedMs = Date.now() - this.#started;
    const samplesTotal = spec.taskIds.length * spec.sampling.n;
    const samplesPerS = elapsedMs > 0 ? (this.#newSamples * 1000) / elapsedMs : 0;
    const remaining = samplesTotal - this.#generated.size;
    return {
      status: this.#status,
      tasksTotal: spec.taskIds.length,
      tasksDone,
      samplesTotal,
      samplesGenerated: this.#generated.size,
      verdictsDone: this.#judged.size,
      elapsedMs,
      samplesPerS,
      tokensPerS: elapsedMs > 0 ? (this.#newTokens * 1000) / elapsedMs : 0,
      etaMs: samplesPerS > 0 ? (remaining / samplesPerS) * 1000 : undefined,
      message: this.#message,
    };
  }

  #emit(): void {
    const p = this.progress();
    for (const l of this.#listeners) l(p);
  }
}
