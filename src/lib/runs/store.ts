import { isQuotaError, StorageFullError, type PlaygroundDatabase, type SampleKey } from "./db.ts";
import { OUTCOME_CHUNK, verdictOutcome, type OutcomeChunk, type RunRecord, type RunSpec, type RunStatus, type SampleRecord, type VerdictOutcome, type VerdictRecord } from "./types.ts";

export interface RunStoreOptions {
  /**
   * Called before every write with the store's name. Throwing here behaves as if the write
   * failed; the e2e suite uses it to make the disk "full" on demand (devtools.ts).
   */
  beforeWrite?: (store: "runs" | "samples" | "verdicts") => void;
}

/** Records per read when a whole run is loaded (see #allOfRun). */
const READ_PAGE = 2000;

/** Every key of one run in the stores keyed [runId, …]: arrays sort after strings and numbers. */
const runRange = (runId: string) => IDBKeyRange.bound([runId], [runId, []]);

const byKey = (a: VerdictOutcome, b: VerdictOutcome) => (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : a.sampleIndex - b.sampleIndex);

function outcomeChunks(runId: string, rows: readonly VerdictOutcome[]): OutcomeChunk[] {
  const chunks: OutcomeChunk[] = [];
  for (let i = 0; i < rows.length; i += OUTCOME_CHUNK) chunks.push({ runId, chunk: i / OUTCOME_CHUNK, rows: rows.slice(i, i + OUTCOME_CHUNK) });
  return chunks;
}

const keyOf = (r: { runId: string; taskId: string; sampleIndex: number }): SampleKey => [r.runId, r.taskId, r.sampleIndex];

/** Runs, samples and verdicts in IndexedDB. Every write is its own transaction, done when it resolves. */
export class RunStore {
  constructor(
    readonly db: PlaygroundDatabase,
    private readonly options: RunStoreOptions = {},
  ) {}

  async #write<T>(store: "runs" | "samples" | "verdicts", what: string, op: () => Promise<T>): Promise<T> {
    try {
      this.options.beforeWrite?.(store);
      return await op();
    } catch (e) {
      if (isQuotaError(e)) throw new StorageFullError(what);
      throw e;
    }
  }

  async createRun(spec: RunSpec, id: string = crypto.randomUUID()): Promise<RunRecord> {
    const now = Date.now();
    const run: RunRecord = { id, spec, status: "queued", createdAt: now, updatedAt: now, samplesDone: 0, verdictsDone: 0 };
    await this.#write("runs", `the run "${spec.name}" was not created`, () => this.db.add("runs", run));
    return run;
  }

  getRun(id: string): Promise<RunRecord | undefined> {
    return this.db.get("runs", id);
  }

  async listRuns(): Promise<RunRecord[]> {
    return (await this.db.getAllFromIndex("runs", "byCreated")).reverse();
  }

  /** Read-modify-write in one transaction, so concurrent counters never lose an update. */
  async updateRun(id: string, patch: Partial<Pick<RunRecord, "status" | "message">> & { addSamples?: number; addVerdicts?: number }): Promise<RunRecord> {
    return this.#write("runs", "the run's progress could not be saved", async () => {
      const tx = this.db.transaction("runs", "readwrite");
      tx.done.catch(() => undefined);
      const run = await tx.store.get(id);
      if (!run) throw new Error(`run ${id} does not exist`);
      const next: RunRecord = {
        ...run,
        status: patch.status ?? run.status,
        message: "message" in patch ? patch.message : run.message,
        samplesDone: run.samplesDone + (patch.addSamples ?? 0),
        verdictsDone: run.verdictsDone + (patch.addVerdicts ?? 0),
        updatedAt: Date.now(),
      };
      await tx.store.put(next);
      await tx.done;
      return next;
    });
  }

  setStatus(id: string, status: RunStatus, message?: string): Promise<RunRecord> {
    return this.updateRun(id, { status, message });
  }

  /** Stores a sample and bumps the run's count atomically; a duplicate key is refused, never overwritten. */
  async addSample(s: SampleRecord): Promise<void> {
    await this.#write("samples", `sample ${s.sampleIndex + 1} of task ${s.taskId} was not saved`, async () => {
      const tx = this.db.transaction(["samples", "runs"], "readwrite");
      // A refused add aborts the transaction; its error is the one to report, not done's AbortError.
      tx.done.catch(() => undefined);
      await tx.objectStore("samples").add(s);
      const run = await tx.objectStore("runs").get(s.runId);
      if (run) await tx.objectStore("runs").put({ ...run, samplesDone: run.samplesDone + 1, updatedAt: Date.now() });
      await tx.done;
    });
  }

  async addVerdict(v: VerdictRecord): Promise<void> {
    await this.#write("verdicts", `the verdict of sample ${v.sampleIndex + 1} of task ${v.taskId} was not saved`, async () => {
      const tx = this.db.transaction(["verdicts", "runs", "outcomes"], "readwrite");
      tx.done.catch(() => undefined);
      // A verdict recomputed after a resume replaces the old one and is not counted twice.
      const existed = (await tx.objectStore("verdicts").count(keyOf(v))) > 0;
      await tx.objectStore("verdicts").put(v);
      const run = await tx.objectStore("runs").get(v.runId);
      if (run) {
        await tx.objectStore("runs").put({ ...run, verdictsDone: run.verdictsDone + (existed ? 0 : 1), updatedAt: Date.now() });
        // The digest follows in the same transaction: appended to the last chunk, or replaced in place.
        const outcomes = tx.objectStore("outcomes");
        const row = verdictOutcome(v);
        if (!existed) {
          const key: [string, number] = [v.runId, Math.floor(run.verdictsDone / OUTCOME_CHUNK)];
          const chunk = (await outcomes.get(key)) ?? { runId: v.runId, chunk: key[1], rows: [] };
          chunk.rows.push(row);
          await outcomes.put(chunk);
        } else {
          for (const chunk of await outcomes.getAll(runRange(v.runId))) {
            const i = chunk.rows.findIndex((r) => r.taskId === v.taskId && r.sampleIndex === v.sampleIndex);
            if (i >= 0) {
              chunk.rows[i] = row;
              await outcomes.put(chunk);
              break;
            }
          }
        }
      }
      await tx.done;
    });
  }

  samples(runId: string): Promise<SampleRecord[]> {
    return this.#allOfRun("samples", runId);
  }

  verdicts(runId: string): Promise<VerdictRecord[]> {
    return this.#allOfRun("verdicts", runId);
  }

  /**
   * A run's verdict outcomes in key order (task id, then sample), from the digest the writes keep
   * (a few dozen records instead of tens of thousands). When the digest is behind the run's count — a
   * database from before v4, a run written by other means — it is rebuilt from the verdicts.
   */
  async outcomes(runId: string): Promise<VerdictOutcome[]> {
    const [run, chunks] = await Promise.all([this.db.get("runs", runId), this.db.getAll("outcomes", runRange(runId))]);
    let rows = chunks.flatMap((c) => c.rows);
    if (!run || rows.length !== run.verdictsDone) {
      rows = (await this.verdicts(runId)).map(verdictOutcome);
      if (run) await this.#putOutcomes(runId, rows).catch(() => undefined); // a digest that cannot be saved is rebuilt next time
      return rows;
    }
    return rows.sort(byKey);
  }

  async #putOutcomes(runId: string, rows: readonly VerdictOutcome[]): Promise<void> {
    const tx = this.db.transaction("outcomes", "readwrite");
    tx.done.catch(() => undefined);
    const store = tx.objectStore("outcomes");
    await store.delete(runRange(runId));
    await Promise.all(outcomeChunks(runId, rows).map((c) => store.put(c)));
    await tx.done;
  }

  /**
   * A run's records in key order, read a page at a time. One getAll of 40,000 verdicts is
   * deserialised by the browser in a single main-thread task of most of a second; pages of
   * READ_PAGE records each arrive in their own task, so the page keeps answering input while a
   * big run loads. Keys are [runId, taskId, sampleIndex]; arrays sort after every string and
   * number, so [runId, []] bounds a run's keys from above.
   */
  async #allOfRun<S extends "samples" | "verdicts">(store: S, runId: string): Promise<S extends "samples" ? SampleRecord[] : VerdictRecord[]> {
    const out: (SampleRecord | VerdictRecord)[] = [];
    let range = runRange(runId);
    for (;;) {
      const page = await this.db.getAll(store, range, READ_PAGE);
      out.push(...page);
      if (page.length < READ_PAGE) break;
      range = IDBKeyRange.bound(keyOf(page[page.length - 1]!), range.upper, true, false);
    }
    return out as S extends "samples" ? SampleRecord[] : VerdictRecord[];
  }

  sample(key: SampleKey): Promise<SampleRecord | undefined> {
    return this.db.get("samples", key);
  }

  verdict(key: SampleKey): Promise<VerdictRecord | undefined> {
    return this.db.get("verdicts", key);
  }

  /**
   * Writes a whole run (an import) in one transaction: either all of it is stored or, on any
   * failure (a full disk included), none of it.
   */
  async putWholeRun(run: RunRecord, samples: readonly SampleRecord[], verdicts: readonly VerdictRecord[]): Promise<void> {
    await this.#write("runs", `the run "${run.spec.name}" was not imported`, async () => {
      this.options.beforeWrite?.("samples");
      this.options.beforeWrite?.("verdicts");
      const tx = this.db.transaction(["runs", "samples", "verdicts", "outcomes"], "readwrite");
      tx.done.catch(() => undefined);
      const s = tx.objectStore("samples");
      const v = tx.objectStore("verdicts");
      // Requests are queued without awaiting each: one transaction, no round trip per record.
      const writes: Promise<unknown>[] = [tx.objectStore("runs").add(run)];
      for (const r of samples) writes.push(s.add(r));
      for (const r of verdicts) writes.push(v.add(r));
      for (const c of outcomeChunks(run.id, verdicts.map(verdictOutcome))) writes.push(tx.objectStore("outcomes").put(c));
      await Promise.all(writes);
      await tx.done;
    });
  }

  async deleteRun(id: string): Promise<void> {
    const tx = this.db.transaction(["runs", "samples", "verdicts", "outcomes"], "readwrite");
    const range = runRange(id);
    await Promise.all([
      tx.objectStore("runs").delete(id),
      tx.objectStore("samples").delete(range),
      tx.objectStore("verdicts").delete(range),
      tx.objectStore("outcomes").delete(range),
      tx.done,
    ]);
  }
}
