import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { openDB } from "idb";
import { openPlaygroundDB, StorageFullError } from "../../src/lib/runs/db.ts";
import { RunStore } from "../../src/lib/runs/store.ts";
import { OUTCOME_CHUNK, verdictOutcome, type RunSpec, type SampleRecord, type VerdictRecord } from "../../src/lib/runs/types.ts";

let dbCounter = 0;
const freshName = () => `test-db-${++dbCounter}-${Math.random()}`;

const spec = {
  schema: 1,
  name: "t",
  dataset: { id: "mbpp", name: "MBPP", sha256: "x" },
  split: "test",
  taskIds: ["11", "12"],
  prompt: {},
  engine: { kind: "replay", modelId: "replay:ref", libraries: {} },
  sampling: { n: 2, temperature: 0, topP: 1, maxTokens: 10, repetitionPenalty: 1, baseSeed: 1 },
  timeoutMs: 1000,
  pyodideVersion: "314.0.7",
} as unknown as RunSpec;

function sample(runId: string, taskId: string, i: number): SampleRecord {
  return {
    runId, taskId, sampleIndex: i, seed: i, raw: "x", code: "x", extractionNotes: [], finishReason: "stop",
    usage: { promptTokens: 1, completionTokens: 1 }, timings: { totalMs: 1 }, createdAt: 0,
  };
}
function verdict(runId: string, taskId: string, i: number): VerdictRecord {
  return {
    runId, taskId, sampleIndex: i, kind: "passed", shownPassed: true, hiddenPassed: true, hasHidden: false, tests: [],
    stdout: "", stderr: "", truncated: false, durationMs: 1, timeoutMs: 1000, createdAt: 0,
  };
}

describe("database schema", () => {
  it("upgrades a v1 database (custom sets only) to v2 and keeps its custom sets", async () => {
    const name = freshName();
    const v1 = await openPlaygroundDB(name, 1);
    expect([...v1.objectStoreNames]).toEqual(["customSets"]);
    await v1.put("customSets", { id: "custom:a", name: "a", fileName: "a.jsonl", sha256: "s", shape: "mbpp", createdAt: 1, taskCount: 0, tasks: [] });
    v1.close();
    const v2 = await openPlaygroundDB(name, 2);
    expect([...v2.objectStoreNames].sort()).toEqual(["customSets", "runs", "samples", "verdicts"]);
    expect((await v2.get("customSets", "custom:a"))?.name).toBe("a");
    v2.close();
    const raw = await openDB(name);
    expect(raw.version).toBe(2);
    raw.close();
  });
});

describe("RunStore", () => {
  it("stores samples and verdicts, counts them on the run, and refuses a duplicate sample", async () => {
    const store = new RunStore(await openPlaygroundDB(freshName()));
    const run = await store.createRun(spec);
    await store.addSample(sample(run.id, "11", 0));
    await store.addSample(sample(run.id, "11", 1));
    await store.addVerdict(verdict(run.id, "11", 0));
    await expect(store.addSample(sample(run.id, "11", 1))).rejects.toThrow();
    const after = await store.getRun(run.id);
    expect(after).toMatchObject({ samplesDone: 2, verdictsDone: 1 });
    expect((await store.samples(run.id)).map((s) => s.sampleIndex)).toEqual([0, 1]);
  });

  it("turns a failed write into StorageFullError and keeps what was stored", async () => {
    let full = false;
    const store = new RunStore(await openPlaygroundDB(freshName()), {
      beforeWrite: () => {
        if (full) throw new DOMException("quota", "QuotaExceededError");
      },
    });
    const run = await store.createRun(spec);
    await store.addSample(sample(run.id, "11", 0));
    full = true;
    await expect(store.addSample(sample(run.id, "11", 1))).rejects.toBeInstanceOf(StorageFullError);
    full = false;
    expect(await store.samples(run.id)).toHaveLength(1);
    expect((await store.getRun(run.id))?.samplesDone).toBe(1);
  });

  it("deletes a run with its samples and verdicts, leaving other runs alone", async () => {
    const store = new RunStore(await openPlaygroundDB(freshName()));
    const a = await store.createRun(spec);
    const b = await store.createRun(spec);
    for (const r of [a, b]) {
      await store.addSample(sample(r.id, "11", 0));
      await store.addVerdict(verdict(r.id, "11", 0));
    }
    await store.deleteRun(a.id);
    expect(await store.getRun(a.id)).toBeUndefined();
    expect(await store.samples(a.id)).toHaveLength(0);
    expect(await store.verdicts(a.id)).toHaveLength(0);
    expect(await store.samples(b.id)).toHaveLength(1);
    expect(await store.verdicts(b.id)).toHaveLength(1);
  });

  it("reads a run larger than one read page whole, in key order, and nothing of runs whose ids share its prefix", async () => {
    const store = new RunStore(await openPlaygroundDB(freshName()));
    const ids = ["r", "r2", "q"];
    const counts = { r: 4_500, r2: 7, q: 3 } as Record<string, number>;
    for (const id of ids) {
      const run = { id, spec, status: "done", createdAt: 1, updatedAt: 1, samplesDone: 0, verdictsDone: 0 } as unknown as Parameters<RunStore["putWholeRun"]>[0];
      const n = counts[id]!;
      const taskIds = Array.from({ length: n }, (_, i) => String(i % 97));
      const idx = Array.from({ length: n }, (_, i) => Math.floor(i / 97));
      await store.putWholeRun(run, taskIds.map((t, i) => sample(id, t, idx[i]!)), taskIds.map((t, i) => verdict(id, t, idx[i]!)));
    }
    const vs = await store.verdicts("r");
    expect(vs).toHaveLength(4_500);
    expect(vs.every((v) => v.runId === "r")).toBe(true);
    expect(new Set(vs.map((v) => `${v.taskId}/${v.sampleIndex}`)).size).toBe(4_500);
    // Key order: task id (as a string), then sample index.
    const keys = vs.map((v) => [v.taskId, v.sampleIndex] as const);
    const sorted = [...keys].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] - y[1]));
    expect(keys).toEqual(sorted);
    expect(await store.samples("r")).toHaveLength(4_500);
    expect(await store.samples("r2")).toHaveLength(7);
    expect(await store.verdicts("q")).toHaveLength(3);
  });

  it("keeps a digest of verdict outcomes that equals the verdicts, through appends, a replaced verdict, an import and a delete", async () => {
    const store = new RunStore(await openPlaygroundDB(freshName()));
    const run = await store.createRun(spec);
    // 2,500 verdicts arriving out of key order span several digest chunks.
    const order = Array.from({ length: 2_500 }, (_, i) => ({ t: String((i * 37) % 50), i: Math.floor(i / 50) }));
    for (const { t, i } of order) await store.addVerdict({ ...verdict(run.id, t, i), kind: i % 3 ? "failed" : "passed" });
    expect((await store.db.getAll("outcomes")).length).toBe(Math.ceil(2_500 / OUTCOME_CHUNK));
    expect(Math.ceil(2_500 / OUTCOME_CHUNK)).toBeGreaterThan(2);
    const expected = async () => (await store.verdicts(run.id)).map(verdictOutcome);
    expect(await store.outcomes(run.id)).toEqual(await expected());
    // A recomputed verdict replaces its outcome, not adds one.
    await store.addVerdict({ ...verdict(run.id, "7", 3), kind: "error", error: { type: "IndexError", message: "m", line: 1, traceback: "tb" } });
    const after = await store.outcomes(run.id);
    expect(after).toHaveLength(2_500);
    expect(after.find((o) => o.taskId === "7" && o.sampleIndex === 3)).toEqual({ taskId: "7", sampleIndex: 3, kind: "error", shownPassed: true, hiddenPassed: true, hasHidden: false, error: { type: "IndexError" } });
    expect(after).toEqual(await expected());
    await store.deleteRun(run.id);
    expect(await store.db.getAll("outcomes")).toEqual([]);
    // An import writes its digest in the same transaction.
    const imported = { id: "imp", spec, status: "done", createdAt: 1, updatedAt: 1, samplesDone: 2, verdictsDone: 2 } as const;
    await store.putWholeRun(imported, [sample("imp", "12", 0), sample("imp", "11", 0)], [verdict("imp", "12", 0), { ...verdict("imp", "11", 0), kind: "failed" }]);
    expect((await store.db.getAll("outcomes")).flatMap((c) => c.rows.map((r) => r.kind))).toEqual(["passed", "failed"]);
    expect((await store.outcomes("imp")).map((r) => r.taskId)).toEqual(["11", "12"]);
  });

  it("rebuilds the digest from the verdicts when it is behind (a run written around it, as before schema v4)", async () => {
    const store = new RunStore(await openPlaygroundDB(freshName()));
    const run = await store.createRun(spec);
    await store.addVerdict(verdict(run.id, "11", 0));
    // Written straight into the stores, as the v3 code (or an old import) did.
    await store.db.put("verdicts", { ...verdict(run.id, "12", 0), kind: "timeout" });
    await store.db.put("runs", { ...(await store.getRun(run.id))!, verdictsDone: 2 });
    const rows = await store.outcomes(run.id);
    expect(rows.map((r) => [r.taskId, r.kind])).toEqual([["11", "passed"], ["12", "timeout"]]);
    // ...and saved, so the next read is served by the digest.
    expect((await store.db.getAll("outcomes")).flatMap((c) => c.rows)).toHaveLength(2);
  });
});

describe("schema v4", () => {
  it("upgrades a v3 database: the outcomes store appears, runs and their verdicts are kept and digested on first read", async () => {
    const name = freshName();
    const v3 = await openPlaygroundDB(name, 3);
    await v3.put("runs", { id: "old", spec, status: "done", createdAt: 1, updatedAt: 1, samplesDone: 1, verdictsDone: 1 });
    await v3.put("verdicts", verdict("old", "11", 0));
    v3.close();
    const v4 = await openPlaygroundDB(name, 4);
    expect([...v4.objectStoreNames]).toContain("outcomes");
    const store = new RunStore(v4);
    expect(await store.outcomes("old")).toEqual([verdictOutcome(verdict("old", "11", 0))]);
    v4.close();
  });
});
