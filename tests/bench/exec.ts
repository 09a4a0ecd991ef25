// `npm run bench:exec` (a benchmark, never part of `npm test`): MBPP's 974 reference programs
// through (a) the sandbox pool in Node, (b) the same pool in headless Chromium (the built site on
// port 4178, out of /tmp/sp-bench), (c) a CPython baseline that runs each program in its own
// `python3` subprocess with a timeout, as human-eval-style harnesses do (tests/bench/cpython_baseline.py),
// with as many at a time as the pool has workers. Prints our figures beside the targets of issue 3.
import { spawn } from "node:child_process";
import { availableParallelism, cpus } from "node:os";
import { join, resolve } from "node:path";
import { referenceCode } from "../../src/lib/eval/gold.ts";
import { programForTask, type TestProgram } from "../../src/lib/eval/program.ts";
import { createNodePool } from "../../src/lib/python/node.ts";
import { DEFAULT_TIMEOUT_MS, INTERRUPT_GRACE_MS, type PythonPool } from "../../src/lib/python/pool.ts";
import { loadDatasetFromDisk } from "../../src/cli/datasets.ts";
import { openPlayground, startPreview, type PlaygroundPage } from "../../src/cli/preview.ts";

const root = resolve(import.meta.dirname, "..", "..");
const HEAVY_TASK = "123";
/** The limit the runaway samples get; their cost is measured beyond it. */
const RUNAWAY_TIMEOUT_MS = 2000;
const RUNAWAY_REPS = 3;
const EMPTY_SATURATED = 500;
const EMPTY_SEQUENTIAL = 200;
/** Timed rounds over the light programs (after one untimed warm-up round); the median is reported. */
const LIGHT_ROUNDS = 3;
const PORT = 4178;
const OUT_DIR = "/tmp/sp-bench";

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

interface BatchResult {
  wallMs: number;
  /** Per program: its verdict and its own run time in the worker. */
  results: { kind: string; durationMs: number }[];
}

/** One way of running programs: the Node pool, or the pool inside the page. */
interface PoolPath {
  name: string;
  size: number;
  batch(programs: TestProgram[], timeoutMs: number): Promise<BatchResult>;
  /** Runs `program` n times one after another; wall time of each round trip. */
  sequential(program: TestProgram, n: number): Promise<number[]>;
  /** `size` copies of `runaway`, then a trivial program: ms until the trivial one has finished. */
  runaway(runaway: TestProgram, timeoutMs: number): Promise<number>;
  /** Resolves once every worker and the spare are ready again (after a runaway replaced one). */
  settle(): Promise<void>;
}

const TRIVIAL: TestProgram = { code: "x = 1", setup: "", tests: [] };
const EMPTY: TestProgram = { code: "", setup: "", tests: [] };
const WHILE_TRUE: TestProgram = { code: "while True:\n    pass", setup: "", tests: [] };
const SLEEP_60: TestProgram = { code: "import time\ntime.sleep(60)", setup: "", tests: [] };

function nodePath(pool: PythonPool): PoolPath {
  const settle = async () => {
    for (let i = 0; i < 400; i++) {
      const s = pool.stats;
      if (s.ready === s.size && s.busy === 0 && s.spares >= 1) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return {
    name: "Node pool",
    size: pool.size,
    async batch(programs, timeoutMs) {
      const t0 = performance.now();
      const verdicts = await Promise.all(programs.map((p) => pool.run(p, { timeoutMs })));
      return { wallMs: performance.now() - t0, results: verdicts.map((v) => ({ kind: v.kind, durationMs: v.durationMs })) };
    },
    async sequential(program, n) {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await pool.run(program, { timeoutMs: DEFAULT_TIMEOUT_MS });
        out.push(performance.now() - t0);
      }
      return out;
    },
    async runaway(runaway, timeoutMs) {
      const t0 = performance.now();
      const runs = Array.from({ length: pool.size }, () => pool.run(runaway, { timeoutMs }));
      await pool.run(TRIVIAL, { timeoutMs: DEFAULT_TIMEOUT_MS });
      const ms = performance.now() - t0;
      await Promise.all(runs);
      return ms;
    },
    settle,
  };
}

function chromiumPath(pg: PlaygroundPage, size: number): PoolPath {
  const { page } = pg;
  return {
    name: "Chromium pool",
    size,
    batch: (programs, timeoutMs) =>
      page.evaluate(
        async ({ programs, timeoutMs }) => {
          const pool = globalThis.playground.pool();
          const t0 = performance.now();
          const verdicts = await Promise.all(programs.map((p) => pool.run(p, { timeoutMs })));
          return { wallMs: performance.now() - t0, results: verdicts.map((v) => ({ kind: v.kind, durationMs: v.durationMs })) };
        },
        { programs, timeoutMs },
      ),
    sequential: (program, n) =>
      page.evaluate(
        async ({ program, n, timeoutMs }) => {
          const pool = globalThis.playground.pool();
          const out: number[] = [];
          for (let i = 0; i < n; i++) {
            const t0 = performance.now();
            await pool.run(program, { timeoutMs });
            out.push(performance.now() - t0);
          }
          return out;
        },
        { program, n, timeoutMs: DEFAULT_TIMEOUT_MS },
      ),
    runaway: (runaway, timeoutMs) =>
      page.evaluate(
        async ({ runaway, trivial, timeoutMs, nextTimeoutMs }) => {
          const pool = globalThis.playground.pool();
          const t0 = performance.now();
          const runs = Array.from({ length: pool.size }, () => pool.run(runaway, { timeoutMs }));
          await pool.run(trivial, { timeoutMs: nextTimeoutMs });
          const ms = performance.now() - t0;
          await Promise.all(runs);
          return ms;
        },
        { runaway, trivial: TRIVIAL, timeoutMs, nextTimeoutMs: DEFAULT_TIMEOUT_MS },
      ),
    settle: () =>
      page.evaluate(async () => {
        const pool = globalThis.playground.pool();
        for (let i = 0; i < 400; i++) {
          const s = pool.stats;
          if (s.ready === s.size && s.busy === 0 && s.spares >= 1) return;
          await new Promise((r) => setTimeout(r, 50));
        }
      }),
  };
}

// --- Figures -------------------------------------------------------------------------------------

interface Figures {
  name: string;
  workers: number;
  lightWallMs: number;
  /** Sum of the light programs' own run time (worker time; CPython: in-process exec time). */
  lightOwnMs: number;
  allWallMs: number;
  slowest: { id: string; ms: number };
  /** (wall × workers − Σ own time) / programs, over the light set. */
  overheadMs: number;
  /** An empty program, the queue kept full: wall × workers / count. */
  emptySaturatedMs: number;
  /** An empty program, one at a time: median round trip. */
  emptyRoundTripMs: number;
  whileTrueMs: number[];
  sleepMs: number[];
  failures: string[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function measurePool(path: PoolPath, ids: string[], programs: TestProgram[]): Promise<Figures> {
  const light = programs.filter((_, i) => ids[i] !== HEAVY_TASK);
  const failures: string[] = [];
  // The first pass over the programs warms the JIT and Python's own caches (imports).
  log(`${path.name}: warm-up, ${light.length} light programs`);
  await path.batch(light, DEFAULT_TIMEOUT_MS);
  const rounds: { wallMs: number; ownMs: number }[] = [];
  for (let i = 0; i < LIGHT_ROUNDS; i++) {
    log(`${path.name}: ${light.length} light programs, round ${i + 1} of ${LIGHT_ROUNDS}`);
    const r = await path.batch(light, DEFAULT_TIMEOUT_MS);
    rounds.push({ wallMs: r.wallMs, ownMs: r.results.reduce((a, x) => a + x.durationMs, 0) });
  }
  rounds.sort((a, b) => a.wallMs - b.wallMs);
  const l = rounds[rounds.length >> 1]!;
  const lightOwnMs = l.ownMs;
  log(`${path.name}: light rounds ${rounds.map((r) => `${Math.round(r.wallMs)} ms`).join(", ")} (median reported)`);

  log(`${path.name}: all ${programs.length} programs`);
  const all = await path.batch(programs, DEFAULT_TIMEOUT_MS);
  let slowest = { id: "", ms: 0 };
  all.results.forEach((r, i) => {
    if (r.durationMs > slowest.ms) slowest = { id: ids[i]!, ms: r.durationMs };
    if (r.kind !== "passed") failures.push(`task ${ids[i]}: ${r.kind}`);
  });

  log(`${path.name}: empty programs`);
  const empties = await path.batch(Array.from({ length: EMPTY_SATURATED }, () => EMPTY), DEFAULT_TIMEOUT_MS);
  const roundTrips = await path.sequential(EMPTY, EMPTY_SEQUENTIAL);

  const whileTrueMs: number[] = [];
  const sleepMs: number[] = [];
  for (let i = 0; i < RUNAWAY_REPS; i++) {
    log(`${path.name}: runaways, round ${i + 1} of ${RUNAWAY_REPS}`);
    await path.settle();
    whileTrueMs.push((await path.runaway(WHILE_TRUE, RUNAWAY_TIMEOUT_MS)) - RUNAWAY_TIMEOUT_MS);
    await path.settle();
    sleepMs.push((await path.runaway(SLEEP_60, RUNAWAY_TIMEOUT_MS)) - RUNAWAY_TIMEOUT_MS);
  }
  return {
    name: path.name,
    workers: path.size,
    lightWallMs: l.wallMs,
    lightOwnMs,
    allWallMs: all.wallMs,
    slowest,
    overheadMs: (l.wallMs * path.size - lightOwnMs) / light.length,
    emptySaturatedMs: (empties.wallMs * path.size) / EMPTY_SATURATED,
    emptyRoundTripMs: median(roundTrips),
    whileTrueMs,
    sleepMs,
    failures,
  };
}

// --- CPython ---------------------------------------------------------------------------------------

function python<T>(request: unknown): Promise<T> {
  return new Promise((resolvePy, reject) => {
    const child = spawn("python3", [join(root, "tests", "bench", "cpython_baseline.py")], { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolvePy(JSON.parse(out) as T) : reject(new Error(`cpython_baseline.py exited with code ${code}`))));
    child.stdin.end(JSON.stringify(request));
  });
}

/** The program as one script, in the order the sandbox runs it: candidate, set-up, each test. */
const script = (p: TestProgram) => `${p.code}\n${p.setup}\n${p.tests.map((t) => t.source).join("\n")}\n`;

interface SpawnAnswer {
  wall_s: number;
  results: { id: string; ok: boolean; timed_out: boolean; s: number }[];
}

async function measureCPython(workers: number, ids: string[], programs: TestProgram[]): Promise<Figures> {
  const reqs = programs.map((p, i) => ({ id: ids[i]!, script: script(p) }));
  const light = reqs.filter((r) => r.id !== HEAVY_TASK);
  const timeout_s = DEFAULT_TIMEOUT_MS / 1000;
  log(`CPython: own compute of each program (in-process exec)`);
  const own = await python<{ results: { id: string; ok: boolean; s: number }[] }>({ mode: "inproc", programs: reqs });
  const ownMs = new Map(own.results.map((r) => [r.id, r.s * 1000]));
  log(`CPython: ${light.length} light programs, one python3 each, ${workers} at a time`);
  const l = await python<SpawnAnswer>({ mode: "spawn", workers, timeout_s, programs: light });
  log(`CPython: all ${reqs.length} programs`);
  const all = await python<SpawnAnswer>({ mode: "spawn", workers, timeout_s, programs: reqs });
  const failures = all.results.filter((r) => !r.ok).map((r) => `task ${r.id}: ${r.timed_out ? "timeout" : "failed"}`);
  const heavy = ownMs.get(HEAVY_TASK) ?? 0;
  const slowestOwn = [...ownMs].reduce((a, [id, ms]) => (ms > a.ms ? { id, ms } : a), { id: "", ms: 0 });
  log(`CPython: empty programs`);
  const empties = await python<SpawnAnswer>({ mode: "spawn", workers, timeout_s, programs: Array.from({ length: 100 }, (_, i) => ({ id: `e${i}`, script: "" })) });
  const seq = await python<SpawnAnswer>({ mode: "spawn", workers: 1, timeout_s, programs: Array.from({ length: 30 }, (_, i) => ({ id: `s${i}`, script: "" })) });
  const whileTrueMs: number[] = [];
  const sleepMs: number[] = [];
  for (let i = 0; i < RUNAWAY_REPS; i++) {
    log(`CPython: runaways, round ${i + 1} of ${RUNAWAY_REPS}`);
    for (const [code, into] of [[WHILE_TRUE.code, whileTrueMs], [SLEEP_60.code, sleepMs]] as const) {
      const r = await python<{ next_finished_s: number }>({ mode: "runaway", workers, timeout_s: RUNAWAY_TIMEOUT_MS / 1000, script: code, next: TRIVIAL.code });
      into.push(r.next_finished_s * 1000 - RUNAWAY_TIMEOUT_MS);
    }
  }
  const lightOwnMs = light.reduce((a, r) => a + (ownMs.get(r.id) ?? 0), 0);
  return {
    name: "CPython subprocess",
    workers,
    lightWallMs: l.wall_s * 1000,
    lightOwnMs,
    allWallMs: all.wall_s * 1000,
    slowest: heavy >= slowestOwn.ms ? { id: HEAVY_TASK, ms: heavy } : slowestOwn,
    overheadMs: (l.wall_s * 1000 * workers - lightOwnMs) / light.length,
    emptySaturatedMs: (empties.wall_s * 1000 * workers) / empties.results.length,
    emptyRoundTripMs: median(seq.results.map((r) => r.s * 1000)),
    whileTrueMs,
    sleepMs,
    failures,
  };
}

// --- Report ------------------------------------------------------------------------------------------

const ms = (x: number) => (x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : x >= 100 ? `${Math.round(x)} ms` : `${x.toFixed(2)} ms`);
const mark = (ok: boolean) => (ok ? "met" : "MISSED");
const pad = (s: string, n: number) => s.padEnd(n);

function report(figs: Figures[], lightCount: number): string {
  const base = figs.find((f) => f.name.startsWith("CPython"));
  const rate = (f: Figures) => lightCount / (f.lightWallMs / 1000);
  const target = (f: Figures) => (f.name.startsWith("Node") ? 20 : f.name.startsWith("Chromium") ? 10 : null);
  const lines: string[] = [];
  lines.push(`== Throughput over the ${lightCount} light programs (all of MBPP but task ${HEAVY_TASK}) ==`);
  lines.push(`${pad("path", 20)}${pad("workers", 9)}${pad("wall", 11)}${pad("programs/s", 12)}${pad("× baseline", 12)}target`);
  for (const f of figs) {
    const ratio = base ? rate(f) / rate(base) : NaN;
    const t = target(f);
    lines.push(`${pad(f.name, 20)}${pad(String(f.workers), 9)}${pad(ms(f.lightWallMs), 11)}${pad(rate(f).toFixed(1), 12)}${pad(`${ratio.toFixed(1)}×`, 12)}${t ? `≥ ${t}× (${mark(ratio >= t)})` : "—"}`);
  }
  lines.push("", `== All 974 programs against the critical path (the slowest program's own time) ==`);
  lines.push(`${pad("path", 20)}${pad("wall", 11)}${pad("slowest own", 22)}${pad("wall/slowest", 14)}target`);
  for (const f of figs) {
    const r = f.allWallMs / f.slowest.ms;
    lines.push(`${pad(f.name, 20)}${pad(ms(f.allWallMs), 11)}${pad(`${ms(f.slowest.ms)} (task ${f.slowest.id})`, 22)}${pad(`${r.toFixed(2)}×`, 14)}${f === base ? "—" : `≤ 1.2× (${mark(r <= 1.2)})`}`);
  }
  lines.push("", `== Per-program cost beyond the program's own compute ==`);
  lines.push(`${pad("path", 20)}${pad("Σ own (light)", 15)}${pad("(wall×workers−Σ own)/n", 24)}${pad("empty, queue full", 19)}${pad("empty, round trip", 19)}target`);
  for (const f of figs) {
    lines.push(
      `${pad(f.name, 20)}${pad(ms(f.lightOwnMs), 15)}${pad(ms(f.overheadMs), 24)}${pad(ms(f.emptySaturatedMs), 19)}${pad(ms(f.emptyRoundTripMs), 19)}${f === base ? "—" : `≤ 0.5 ms (${mark(f.overheadMs <= 0.5)})`}`,
    );
  }
  lines.push("", `== Runaways: timeout ${RUNAWAY_TIMEOUT_MS} ms; time from submitting until the next program has finished, minus the timeout (median of ${RUNAWAY_REPS}, max) ==`);
  lines.push(`${pad("path", 20)}${pad("while True: pass", 27)}${pad("target", 22)}${pad("time.sleep(60)", 27)}target`);
  for (const f of figs) {
    const w = median(f.whileTrueMs);
    const s = median(f.sleepMs);
    const wMax = Math.max(...f.whileTrueMs);
    const sMax = Math.max(...f.sleepMs);
    lines.push(
      `${pad(f.name, 20)}${pad(`+${ms(w)} (max +${ms(wMax)})`, 27)}${pad(f === base ? "—" : `≤ +50 ms (${mark(wMax <= 50)})`, 22)}${pad(`+${ms(s)} (max +${ms(sMax)})`, 27)}${f === base ? "—" : `≤ +1 s (${mark(sMax <= 1000)})`}`,
    );
  }
  if (base) {
    lines.push("", "Compute alone (no start-up): Σ own time of the light programs relative to CPython's in-process exec:");
    for (const f of figs) if (f !== base) lines.push(`  ${f.name}: ${(f.lightOwnMs / base.lightOwnMs).toFixed(2)}× (worker time includes the harness: fresh namespace, each assert run apart, output capture)`);
  }
  const failed = figs.filter((f) => f.failures.length);
  if (failed.length) {
    lines.push("", "Programs that did not pass:");
    for (const f of failed) lines.push(`  ${f.name}: ${f.failures.slice(0, 20).join(", ")}${f.failures.length > 20 ? ` (and ${f.failures.length - 20} more)` : ""}`);
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1]!.split(",") : ["node", "chromium", "cpython"];
  const dataset = await loadDatasetFromDisk("mbpp", resolve(root, "public", "datasets"));
  const ids = dataset.tasks.map((t) => t.id);
  const programs = dataset.tasks.map((t) => programForTask(t, referenceCode(t)));
  const lightCount = ids.filter((id) => id !== HEAVY_TASK).length;
  const figs: Figures[] = [];
  let workers = Math.max(1, availableParallelism() - 1);
  log(`${cpus().length} cores (${cpus()[0]?.model ?? "?"}), Node ${process.version}; pool size ${workers}; interrupt grace ${INTERRUPT_GRACE_MS} ms`);

  if (only.includes("node")) {
    const pool = createNodePool();
    try {
      const t0 = performance.now();
      await pool.ready();
      log(`Node pool ready in ${ms(performance.now() - t0)}`);
      workers = pool.size;
      figs.push(await measurePool(nodePath(pool), ids, programs));
    } finally {
      pool.close();
    }
  }
  if (only.includes("chromium")) {
    const preview = await startPreview(root, OUT_DIR, PORT, log);
    try {
      const pg = await openPlayground(preview.url);
      try {
        const t0 = performance.now();
        const size = await pg.page.evaluate(async () => {
          const pool = globalThis.playground.pool();
          await pool.ready();
          return pool.size;
        });
        log(`Chromium pool ready in ${ms(performance.now() - t0)} (${size} worker(s))`);
        figs.push(await measurePool(chromiumPath(pg, size), ids, programs));
        if (pg.errors.length) log(`console errors in the page:\n  ${pg.errors.join("\n  ")}`);
      } finally {
        await pg.close();
      }
    } finally {
      await preview.close();
    }
  }
  if (only.includes("cpython")) figs.push(await measureCPython(workers, ids, programs));
  // Baseline first in the table.
  figs.sort((a, b) => Number(b.name.startsWith("CPython")) - Number(a.name.startsWith("CPython")));
  process.stdout.write(`${report(figs, lightCount)}\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    const err = e as Error;
    process.stderr.write(`[bench] ${err.name}: ${err.message}\n${err.stack ?? ""}\n`);
    process.exit(1);
  },
);
