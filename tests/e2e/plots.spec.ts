import { readFile } from "node:fs/promises";
import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures.ts";
import type { FixtureSample, PlaygroundFixtures } from "../../src/devtools.ts";
import { builtinDataset, loadBuiltinDataset, tasksInSplit } from "../../src/lib/tasks/catalog.ts";
import { datasetBytes } from "../support/datasets.ts";
import type { RunSpec } from "../../src/lib/runs/types.ts";
import type { VerdictKind } from "../../src/lib/python/types.ts";

// Runs of known composition are written into the page's IndexedDB through
// `playground.fixtures` (src/devtools.ts); every expected figure below is computed here, in the test,
// from that composition, never by the app's own code.

type Fixtures = { playground: { fixtures: PlaygroundFixtures } };

const base: RunSpec = {
  schema: 1,
  name: "fixture",
  dataset: { id: "mbpp", name: "MBPP", sha256: "aaaa" },
  split: "test",
  taskIds: [],
  prompt: { template: "mbpp-paper", shots: 3, selection: { kind: "fixed", ids: ["2", "3", "4"] }, testsShown: 3 },
  engine: { kind: "replay", modelId: "replay:fixture.jsonl", libraries: {}, source: "e2e fixture (test double: no model)" },
  sampling: { n: 1, temperature: 0, topP: 1, maxTokens: 256, repetitionPenalty: 1, baseSeed: 1 },
  timeoutMs: 10000,
  pyodideVersion: "314.0.7",
};

async function open(page: Page): Promise<void> {
  await page.goto("/#/engines");
  await page.waitForFunction(() => "fixtures" in (globalThis as unknown as Fixtures).playground);
}

function createRun(page: Page, spec: RunSpec, samples: FixtureSample[]): Promise<string> {
  return page.evaluate(([s, xs]) => (globalThis as unknown as Fixtures).playground.fixtures.createRun(s, xs), [spec, samples] as const);
}

/** The plot's data table, as numbers where the cell holds one. */
async function readTable(page: Page, id: string): Promise<Record<string, string | number>[]> {
  const fig = page.getByTestId(`plot-${id}`);
  await fig.getByRole("button", { name: "Table" }).click();
  const table = fig.getByTestId(`plot-${id}-table`);
  await expect(table).toBeVisible();
  return table.locator("tbody tr").evaluateAll((rows) =>
    rows.map((tr) => Object.fromEntries([...tr.querySelectorAll("td")].map((td) => [td.dataset.key!, td.dataset.value !== "" && !Number.isNaN(Number(td.dataset.value)) ? Number(td.dataset.value) : td.dataset.value!]))),
  );
}

function comb(n: number, k: number): number {
  let r = 1;
  for (let i = 0; i < k; i++) r = (r * (n - i)) / (i + 1);
  return r;
}
/** 1 − C(n − c, k) / C(n, k), the textbook form (the app uses human-eval's product form). */
const passK = (n: number, c: number, k: number) => (n - c < k ? 1 : 1 - comb(n - c, k) / comb(n, k));

test.describe("comparing two runs", () => {
  /** 20 tasks, one sample each: 7 solved by A only, 1 by B only, 8 by both, 4 by neither. */
  function pair(): { a: FixtureSample[]; b: FixtureSample[]; taskIds: string[] } {
    const taskIds = Array.from({ length: 20 }, (_, i) => String(11 + i));
    const a: FixtureSample[] = [];
    const b: FixtureSample[] = [];
    taskIds.forEach((t, i) => {
      const g = i < 7 ? "aOnly" : i < 8 ? "bOnly" : i < 16 ? "both" : "neither";
      const kind = (solved: boolean): VerdictKind => (solved ? "passed" : "failed");
      a.push({ taskId: t, sampleIndex: 0, kind: kind(g === "aOnly" || g === "both"), code: `# A solves ${t}?` });
      b.push({ taskId: t, sampleIndex: 0, kind: kind(g === "bOnly" || g === "both"), code: `# B solves ${t}?` });
    });
    return { a, b, taskIds };
  }

  test("counts the groups, states McNemar's p, draws the scatter and shows both samples of a task", async ({ page }) => {
    await open(page);
    const { a, b, taskIds } = pair();
    const specA = { ...base, name: "greedy A", taskIds };
    const specB = { ...base, name: "warmer B", taskIds, sampling: { ...base.sampling, temperature: 0.4 } };
    const idA = await createRun(page, specA, a);
    const idB = await createRun(page, specB, b);
    // Through the pickers, from the main navigation.
    await page.goto("/#/engines");
    await page.getByRole("link", { name: "Compare", exact: true }).click();
    await page.getByTestId("pick-a").selectOption(idA);
    await expect(page).toHaveURL(new RegExp(`#/compare/${idA}$`));
    await page.getByTestId("pick-b").selectOption(idB);
    await expect(page).toHaveURL(new RegExp(`#/compare/${idA}/${idB}$`));

    await expect(page.getByTestId("count-aOnly")).toHaveText("7");
    await expect(page.getByTestId("count-bOnly")).toHaveText("1");
    await expect(page.getByTestId("count-both")).toHaveText("8");
    await expect(page.getByTestId("count-neither")).toHaveText("4");
    // The same value tests/unit/stats.test.ts derives with BigInt binomials: 2 · (1 + 8) / 2^8.
    const p = Number(await page.getByTestId("mcnemar").getAttribute("data-p"));
    expect(p).toBeCloseTo(18 / 256, 12);
    await expect(page.getByTestId("mcnemar")).toContainText("probability 0.07 even if the runs were equally good");
    await expect(page.getByTestId("paired").locator("li")).toContainText(["difference B − A = −30.0 points"]);
    // Only the temperature differs: no provenance warning.
    await expect(page.getByTestId("provenance-ok")).toContainText("differ only in temperature");

    await expect(page.getByTestId("plot-compare-scatter").locator("svg[viewBox]").first()).toBeVisible();
    expect(await readTable(page, "compare-scatter")).toEqual([
      { fracA: 0, fracB: 0, tasks: 4 },
      { fracA: 0, fracB: 1, tasks: 1 },
      { fracA: 1, fracB: 0, tasks: 7 },
      { fracA: 1, fracB: 1, tasks: 8 },
    ]);

    const group = page.getByTestId("group-bOnly");
    await group.locator("> summary").click();
    await group.getByText("Task 18").click();
    await expect(group.locator(".side-by-side")).toContainText("# A solves 18?");
    await expect(group.locator(".side-by-side")).toContainText("# B solves 18?");
  });

  test("two runs made by the replay engine from samples files, executed in the sandbox, compare as composed", async ({ page }) => {
    test.setTimeout(240_000);
    const def = builtinDataset("mbpp")!;
    const tasks = tasksInSplit((await loadBuiltinDataset(def, datasetBytes(def.file))).tasks, "test").slice(0, 20);
    // Same composition as above: 7 tasks solved by A only, 1 by B only, 8 by both, 4 by neither.
    const wrong = (t: (typeof tasks)[number]) => `${t.reference.replace(/\r\n/g, "\n")}\n\nraise RuntimeError("wrong on purpose")\n`;
    const file = (solves: (i: number) => boolean) =>
      tasks.map((t, i) => JSON.stringify({ task_id: t.id, completion: solves(i) ? t.reference : wrong(t) })).join("\n") + "\n";
    const runs: string[] = [];
    for (const [name, text] of [
      ["a.jsonl", file((i) => i < 7 || (i >= 8 && i < 16))],
      ["b.jsonl", file((i) => i >= 7 && i < 16)],
    ] as const) {
      await page.goto("./#/engines");
      await page.getByTestId("choice-replay").check();
      await page.getByTestId("replay-file").setInputFiles({ name, mimeType: "application/json", buffer: Buffer.from(text) });
      await expect(page.getByTestId("replay-summary")).toBeVisible();
      await page.getByTestId("load").click();
      await expect(page.getByTestId("current-engine")).toContainText(`replay:${name}`);
      await page.getByRole("link", { name: "Runs", exact: true }).click();
      await page.getByTestId("new-run-link").click();
      await page.getByTestId("run-subset").fill(tasks.map((t) => t.id).join(","));
      await page.getByTestId("run-n").fill("1");
      await page.getByTestId("run-name").fill(`replay ${name}`);
      await page.getByTestId("run-timeout").fill("60");
      await page.getByTestId("start-run").click();
      await expect(page.getByTestId("run-page")).toBeVisible({ timeout: 60_000 });
      await expect(page.getByTestId("run-status")).toHaveText("done", { timeout: 180_000 });
      runs.push((await page.getByTestId("run-page").getAttribute("data-run-id"))!);
    }
    await page.goto(`./#/compare/${runs[0]}/${runs[1]}`);
    await expect(page.getByTestId("count-aOnly")).toHaveText("7");
    await expect(page.getByTestId("count-bOnly")).toHaveText("1");
    await expect(page.getByTestId("count-both")).toHaveText("8");
    await expect(page.getByTestId("count-neither")).toHaveText("4");
    expect(Number(await page.getByTestId("mcnemar").getAttribute("data-p"))).toBeCloseTo(18 / 256, 12);
    // The runs differ only in the samples file they replay, which counts as the model.
    await expect(page.getByTestId("provenance-ok")).toContainText("differ only in model");
  });

  test("warns when the runs differ in more than one thing", async ({ page }) => {
    await open(page);
    const { a, b, taskIds } = pair();
    const idA = await createRun(page, { ...base, taskIds }, a);
    const idB = await createRun(page, { ...base, taskIds, timeoutMs: 3000, dataset: { ...base.dataset, sha256: "bbbb" } }, b);
    await page.goto(`/#/compare/${idA}/${idB}`);
    const warning = page.getByTestId("provenance-warning");
    await expect(warning).toContainText("more than one thing");
    await expect(warning).toContainText("dataset revision (sha256)");
    await expect(warning).toContainText("time limit (timeoutMs): A 10000, B 3000");
  });
});

test.describe("sweeps of the other parameters", () => {
  const taskIds = ["1", "2", "3", "4"];
  /** Run j of a sweep: task t has (t + j) mod 3 passing samples of 2, capped at 2. */
  const passingOf = (j: number) => taskIds.map((_, t) => Math.min(2, (t + j) % 3));
  const samplesOf = (j: number): FixtureSample[] =>
    taskIds.flatMap((t, ti) => [0, 1].map((i) => ({ taskId: t, sampleIndex: i, kind: (i < passingOf(j)[ti]! ? "passed" : "failed") as VerdictKind })));
  const pass1 = (j: number) => passingOf(j).reduce((s, c) => s + c / 2, 0) / taskIds.length;
  const solved = (j: number) => passingOf(j).filter((c) => c > 0).length / taskIds.length;

  async function sweep(page: Page, spec: RunSpec, parameter: string, values: (string | number)[], id: string): Promise<void> {
    const specs = await page.evaluate(
      ([b, p, vs, sid]) => (globalThis as unknown as Fixtures).playground.fixtures.sweepSpecs(b, p as "shots", vs, sid),
      [spec, parameter, values, id] as const,
    );
    for (const [j, s] of specs.entries()) await createRun(page, s, samplesOf(j));
    await page.goto(`/#/sweeps/${id}`);
  }

  test("draws pass rate per few-shot seed (Figure 6), against shots, and against model size on a log axis (Figure 3)", async ({ page }) => {
    await open(page);
    const spec = { ...base, taskIds, sampling: { ...base.sampling, n: 2 } };

    await sweep(page, spec, "fewShotSeed", [11, 22, 33], "sweep-seed");
    await expect(page.getByTestId("plot-sweep-seed").locator("svg[viewBox]").first()).toBeVisible();
    const seeds = await readTable(page, "sweep-seed");
    expect(seeds.map((r) => [r.seed, r.passAt1, r.solved])).toEqual([0, 1, 2].map((j) => [[11, 22, 33][j], pass1(j), solved(j)]));

    await sweep(page, spec, "shots", [0, 1, 3], "sweep-shots");
    await expect(page.getByTestId("plot-sweep-shots").locator("svg[viewBox]").first()).toBeVisible();
    const shots = await readTable(page, "sweep-shots");
    expect(shots).toEqual([0, 1, 2].flatMap((j) => [
      { value: [0, 1, 3][j], measure: "pass@1", rate: pass1(j) },
      { value: [0, 1, 3][j], measure: "solved by any sample", rate: solved(j) },
    ]));

    const models = ["SmolLM2-360M-Instruct-q4f16_1-MLC", "Qwen2.5-Coder-1.5B-Instruct-q4f16_1-MLC", "Qwen2.5-Coder-7B-Instruct-q4f16_1-MLC"];
    await sweep(page, { ...spec, engine: { kind: "webllm", modelId: models[0]!, libraries: {} } }, "model", models, "sweep-model");
    const fig3 = page.getByTestId("plot-sweep-model");
    await expect(fig3.locator("svg[viewBox]").first()).toBeVisible();
    await expect(fig3).toContainText("Parameters (log scale)");
    await expect(fig3.locator("svg[viewBox]").first()).toContainText("500M");
    // Parameter counts from the model cards: 360M, 1.54B, 7.62B.
    const sizes: Record<string, number> = { [models[0]!]: 0.36, [models[1]!]: 1.54, [models[2]!]: 7.62 };
    const rows = await readTable(page, "sweep-model");
    expect(rows).toHaveLength(6);
    for (const r of rows) {
      const j = models.indexOf(r.model as string);
      expect(r.paramsB).toBe(sizes[r.model as string]);
      expect(r.rate).toBe(r.measure === "pass@1" ? pass1(j) : solved(j));
    }
  });
});

test.describe("a temperature sweep", () => {
  const taskIds = ["1", "2", "3", "4", "5", "6"];
  const n = 5;
  /** Passing samples per task, per temperature. */
  const passing: Record<number, number[]> = { 0.2: [5, 3, 1, 0, 0, 2], 0.6: [4, 3, 2, 1, 0, 2], 0.8: [3, 2, 2, 1, 1, 1] };
  const failKinds: [VerdictKind, string?][] = [["failed"], ["error", "NameError"], ["error", "TypeError"], ["syntax_error", "SyntaxError"], ["timeout"], ["error", "NameError"]];

  function samplesFor(cs: number[]): FixtureSample[] {
    const out: FixtureSample[] = [];
    let f = 0;
    taskIds.forEach((t, ti) => {
      for (let i = 0; i < n; i++) {
        // Task 6 has hidden tests: one of its failing samples passes the shown tests only.
        const hidden = t === "6";
        if (i < cs[ti]!) out.push({ taskId: t, sampleIndex: i, kind: "passed", hasHidden: hidden });
        else if (hidden && i === cs[ti]) out.push({ taskId: t, sampleIndex: i, kind: "failed", hasHidden: true, shownPassed: true, hiddenPassed: false });
        else {
          const [kind, errorType] = failKinds[f++ % failKinds.length]!;
          out.push({ taskId: t, sampleIndex: i, kind, errorType, hasHidden: hidden, shownPassed: false, hiddenPassed: false });
        }
      }
    });
    return out;
  }

  test("makes three runs and draws Figure 9 and the run charts with the stored values", async ({ page }) => {
    await open(page);
    const temps = [0.2, 0.6, 0.8];
    const specs = await page.evaluate(
      ([b, ts]) => (globalThis as unknown as Fixtures).playground.fixtures.sweepSpecs(b, "temperature", ts, "sweep-e2e"),
      [{ ...base, taskIds, sampling: { ...base.sampling, n } }, temps] as const,
    );
    expect(specs.map((s) => [s.sampling.temperature, s.sweep])).toEqual(temps.map((t) => [t, { id: "sweep-e2e", parameter: "temperature", value: t }]));
    const samples = temps.map((t) => samplesFor(passing[t]!));
    for (const [i, s] of specs.entries()) await createRun(page, s, samples[i]!);

    // The sweeps list names it with its values; its link opens the sweep page.
    await page.goto("/#/sweeps");
    const row = page.getByTestId("sweep-list").locator("tbody tr");
    await expect(row).toHaveCount(1);
    await expect(row).toContainText("Sampling temperature");
    await expect(row).toContainText("0.2, 0.6, 0.8");
    await row.getByRole("link").click();
    await expect(page).toHaveURL(/#\/sweeps\/sweep-e2e$/);
    await expect(page.getByTestId("sweep-runs").locator("tbody tr")).toHaveCount(3);

    // Figure 9: pass@k for k = 1, 2, 5 (every k the paper reports up to n) at each temperature.
    const fig9 = page.getByTestId("plot-sweep-temperature");
    await expect(fig9.locator("svg[viewBox]").first()).toBeVisible();
    await expect(fig9).toContainText("Sampling temperature");
    const expected9 = temps.flatMap((t) =>
      [1, 2, 5].map((k) => ({ temperature: t, k, passAtK: passing[t]!.reduce((s, c) => s + passK(n, c, k), 0) / taskIds.length })),
    );
    const rows9 = await readTable(page, "sweep-temperature");
    expect(rows9.map((r) => [r.temperature, r.k])).toEqual(expected9.map((r) => [r.temperature, r.k]));
    rows9.forEach((r, i) => expect(r.passAtK as number).toBeCloseTo(expected9[i]!.passAtK, 12));

    // The run charts of the first run (temperature 0.2).
    const cs = passing[0.2]!;
    const s0 = samples[0]!;
    const charts = page.getByTestId("run-charts");
    await expect(charts.getByTestId("rc-samples")).toHaveText(String(n * taskIds.length));
    for (const id of ["passk", "solve-fraction", "histogram", "verdicts", "exceptions", "shown-hidden"]) {
      await expect(page.getByTestId(`plot-${id}`).locator("svg[viewBox]").first()).toBeVisible();
    }

    const passk = await readTable(page, "passk");
    expect(passk.map((r) => r.k)).toEqual([1, 2, 3, 4, 5]);
    for (const r of passk) {
      const want = cs.reduce((s, c) => s + passK(n, c, r.k as number), 0) / cs.length;
      expect(r.value as number).toBeCloseTo(want, 12);
      expect(r.lo as number).toBeLessThanOrEqual(want + 1e-12);
      expect(r.hi as number).toBeGreaterThanOrEqual(want - 1e-12);
    }
    expect(passk[4]).toMatchObject({ value: 4 / 6 });

    const fractions = await readTable(page, "solve-fraction");
    expect(fractions.map((r) => [String(r.task), r.fraction])).toEqual([
      ["1", 1],
      ["2", 0.6],
      ["6", 0.4],
      ["3", 0.2],
      ["4", 0],
      ["5", 0],
    ]);

    const hist = await readTable(page, "histogram");
    expect(hist).toEqual([0, 1, 2, 3, 4, 5].map((passingSamples) => ({ passing: passingSamples, tasks: cs.filter((c) => c === passingSamples).length })));

    const count = (pred: (s: FixtureSample) => boolean) => s0.filter(pred).length;
    const verdicts = await readTable(page, "verdicts");
    const kinds: VerdictKind[] = ["passed", "failed", "error", "syntax_error", "timeout", "resource", "sandbox_crash"];
    expect(verdicts.map((r) => r.samples)).toEqual(kinds.map((k) => count((s) => s.kind === k)));

    const exceptions = await readTable(page, "exceptions");
    const want: Record<string, number> = {};
    for (const s of s0) {
      const type = s.kind === "failed" ? "AssertionError" : s.kind === "error" || s.kind === "syntax_error" ? s.errorType! : null;
      if (type) want[type] = (want[type] ?? 0) + 1;
    }
    expect(Object.fromEntries(exceptions.map((r) => [r.type, r.samples]))).toEqual(want);

    const sh = await readTable(page, "shown-hidden");
    const withHidden = s0.filter((s) => s.hasHidden);
    const shownOk = (s: FixtureSample) => s.shownPassed ?? s.kind === "passed";
    const hiddenOk = (s: FixtureSample) => s.hiddenPassed ?? s.kind === "passed";
    expect(sh.map((r) => r.rate as number)).toEqual([
      count(shownOk) / s0.length,
      withHidden.filter(shownOk).length / withHidden.length,
      withHidden.filter(hiddenOk).length / withHidden.length,
      withHidden.filter((s) => shownOk(s) && !hiddenOk(s)).length / withHidden.length,
    ]);
  });

  test("exports CSV, SVG and PNG, and draws in the dark theme's colours", async ({ page }) => {
    await page.emulateMedia({ colorScheme: "dark" });
    await open(page);
    const specs = await page.evaluate(
      ([b]) => (globalThis as unknown as Fixtures).playground.fixtures.sweepSpecs(b, "temperature", [0, 1], "sweep-export"),
      [{ ...base, taskIds, sampling: { ...base.sampling, n } }] as const,
    );
    for (const s of specs) await createRun(page, s, samplesFor(passing[0.6]!));
    await page.goto("/#/sweeps/sweep-export");
    const fig = page.getByTestId("plot-histogram");
    const svg = fig.locator("svg[viewBox]").first();
    await expect(svg).toBeVisible();
    // Axes and labels use the theme's foreground (App.svelte's dark --fg, #e4e6ea).
    expect(await svg.evaluate((el) => getComputedStyle(el).color)).toBe("rgb(228, 230, 234)");
    await expect(svg).toContainText("Passing samples per task (of 5)");

    const save = async (name: string) => {
      const [download] = await Promise.all([page.waitForEvent("download"), fig.getByRole("button", { name }).click()]);
      return { name: download.suggestedFilename(), data: await readFile((await download.path())!) };
    };
    const csv = await save("CSV");
    expect(csv.name).toBe("histogram.csv");
    expect(csv.data.toString()).toBe("passing samples,tasks\n0,1\n1,1\n2,2\n3,1\n4,1\n5,0\n");
    const svgFile = await save("SVG");
    expect(svgFile.name).toBe("histogram.svg");
    const text = svgFile.data.toString();
    expect(text).toContain("<svg");
    expect(text).toContain("Passing samples per task");
    expect(text).not.toMatch(/var\(--|currentcolor/i);
    const png = await save("PNG");
    expect(png.name).toBe("histogram.png");
    expect([...png.data.subarray(1, 4)].map((c) => String.fromCharCode(c)).join("")).toBe("PNG");
  });

  test("draws the run charts for 40,000 samples without a DOM node per sample", async ({ page }) => {
    await open(page);
    const tasks = Array.from({ length: 500 }, (_, i) => String(i + 1));
    const big = 80;
    const specs = await page.evaluate(
      ([b]) => (globalThis as unknown as Fixtures).playground.fixtures.sweepSpecs(b, "temperature", [0.2, 0.8], "sweep-big"),
      [{ ...base, taskIds: tasks, sampling: { ...base.sampling, n: big } }] as const,
    );
    const samples: FixtureSample[] = [];
    tasks.forEach((t, ti) => {
      for (let i = 0; i < big; i++) samples.push({ taskId: t, sampleIndex: i, kind: i < ti % (big + 1) ? "passed" : "failed" });
    });
    await createRun(page, specs[0]!, samples);
    // Long main-thread tasks while the page loads and draws (reported, not asserted: no timed assertions).
    await page.evaluate(() => {
      const w = globalThis as unknown as { longTasks: number[] };
      w.longTasks = [];
      new PerformanceObserver((list) => list.getEntries().forEach((e) => w.longTasks.push(e.duration))).observe({ type: "longtask" });
      location.hash = "#/sweeps/sweep-big";
    });
    await expect(page.getByTestId("rc-samples")).toHaveText("40000");
    for (const id of ["passk", "solve-fraction", "histogram", "verdicts", "exceptions", "shown-hidden"]) {
      await expect(page.getByTestId(`plot-${id}`).locator("svg[viewBox]").first()).toBeVisible();
    }
    // Interaction after drawing: time from a click on "Table" to the next painted frame, measured in the page.
    const clickToPaint = await page.evaluate(async () => {
      const button = [...document.querySelectorAll<HTMLButtonElement>('[data-testid="plot-histogram"] button')].find((b) => b.textContent === "Table")!;
      const t0 = performance.now();
      button.click();
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      return performance.now() - t0;
    });
    await expect(page.getByTestId("plot-histogram-table")).toBeVisible();
    const longTasks = await page.evaluate(() => (globalThis as unknown as { longTasks: number[] }).longTasks);
    const figure = `40,000 samples: longest main-thread task ${Math.round(Math.max(0, ...longTasks))} ms (${longTasks.length} tasks over 50 ms, ${Math.round(longTasks.reduce((s, v) => s + v, 0))} ms in all) while loading and drawing; click → painted table ${Math.round(clickToPaint)} ms`;
    test.info().annotations.push({ type: "measured", description: figure });
    console.log(figure);
    expect(await page.evaluate(() => document.querySelectorAll("*").length)).toBeLessThan(6000);
  });
});
