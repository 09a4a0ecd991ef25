import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "@playwright/test";
import { test, expect } from "./fixtures.ts";
import config from "../../playwright.config.ts";
import { builtinDataset, loadBuiltinDataset, tasksInSplit } from "../../src/lib/tasks/catalog.ts";
import type { Task } from "../../src/lib/tasks/types.ts";
import { datasetBytes } from "../support/datasets.ts";

/**
 * Runs end to end, in the built site with the real sandbox: replayed samples go through the same
 * prompt → engine → extract → execute → score → store pipeline a model's would. The replay engine
 * stands in for a model (no GPU and no weights here); everything after it is real.
 */

const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";

async function mbppTest(): Promise<Task[]> {
  const def = builtinDataset("mbpp")!;
  return tasksInSplit((await loadBuiltinDataset(def, datasetBytes(def.file))).tasks, "test");
}

/** A program that defines the task's function but answers None: it fails the task's asserts. */
function broken(task: Task): string {
  return `${task.reference.replace(/\r\n/g, "\n")}\n\ndef ${task.entryPoint}(*args, **kwargs):\n    return None\n`;
}

/** A program that fails on every task, whatever its tests expect (some expect None). */
function raising(task: Task): string {
  return `${task.reference.replace(/\r\n/g, "\n")}\n\nraise RuntimeError("broken on purpose")\n`;
}

async function loadReplayFile(page: Page, name: string, text: string): Promise<void> {
  await page.goto("./#/engines");
  await page.getByTestId("choice-replay").check();
  await page.getByTestId("replay-file").setInputFiles({ name, mimeType: "application/json", buffer: Buffer.from(text) });
  await expect(page.getByTestId("replay-summary")).toBeVisible();
  await page.getByTestId("load").click();
  await expect(page.getByTestId("current-engine")).toContainText(`replay:${name}`);
}

async function newRun(page: Page, opts: { subset?: string; n: number; name: string; timeoutS?: number }): Promise<string> {
  await page.getByRole("link", { name: "Runs", exact: true }).click();
  await page.getByTestId("new-run-link").click();
  await expect(page.getByTestId("prompt-preview")).toContainText("You are an expert Python programmer");
  if (opts.subset) await page.getByTestId("run-subset").fill(opts.subset);
  await page.getByTestId("run-n").fill(String(opts.n));
  await page.getByTestId("run-name").fill(opts.name);
  if (opts.timeoutS) await page.getByTestId("run-timeout").fill(String(opts.timeoutS));
  await page.getByTestId("start-run").click();
  await expect(page.getByTestId("run-page")).toBeVisible({ timeout: 60_000 });
  const id = await page.getByTestId("run-page").getAttribute("data-run-id");
  expect(id).toBeTruthy();
  return id!;
}

/** pass@k rows as the page states them (the full-precision value is in data-value). */
async function passAtKTable(page: Page): Promise<{ k: number; value: number }[]> {
  return page.getByTestId("passk-row").evaluateAll((rows) => rows.map((r) => ({ k: Number(r.getAttribute("data-k")), value: Number(r.getAttribute("data-value")) })));
}

/** C(n, k) as an exact BigInt: the expected pass@k comes from binomials, not the app's product form. */
function choose(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  let r = 1n;
  for (let i = 1; i <= k; i++) r = (r * BigInt(n - k + i)) / BigInt(i);
  return r;
}

test.describe("runs", () => {
  test("replaying MBPP's reference solutions over the 500 test tasks gives pass@1 = 100 %", async ({ page }) => {
    test.setTimeout(300_000);
    await page.goto("./#/engines");
    await page.getByTestId("choice-replay").check();
    await page.getByTestId("replay-mode-reference").check();
    await expect(page.getByTestId("replay-summary")).toContainText("974 sample(s)");
    await page.getByTestId("load").click();
    await expect(page.getByTestId("current-engine")).toContainText("replay:reference:mbpp");

    // Task 123 (amicable numbers below 9,999) takes seconds in Pyodide on a busy machine.
    await newRun(page, { n: 1, name: "gold replay", timeoutS: 60 });
    await expect(page.getByTestId("run-status")).toHaveText("done", { timeout: 240_000 });
    await expect(page.getByTestId("summary-samples")).toHaveText("500 / 500");
    expect(await passAtKTable(page)).toEqual([{ k: 1, value: 1 }]);
    await expect(page.getByTestId("passk-row")).toHaveText(["1100.00 %"]);
    await expect(page.getByTestId("summary-solved")).toHaveText("100.00 %");
    await expect(page.getByTestId("task-table-count")).toHaveText("500 tasks");

    // The run is listed, and its drill-down shows a sample's code and verdict.
    await page.getByTestId("task-table-row").first().click();
    await page.getByTestId("sample-chip").first().click();
    await expect(page.getByTestId("sample-detail").getByTestId("verdict")).toHaveAttribute("data-kind", "passed");
    await expect(page.getByTestId("sample-detail").getByTestId("code-editor")).toContainText("def ");
    await page.getByRole("link", { name: "Runs", exact: true }).click();
    await expect(page.getByTestId("run-row").filter({ hasText: "gold replay" })).toHaveAttribute("data-status", "done");
  });

  test("a samples file of known composition gives exactly the expected pass@k table", async ({ page }) => {
    const tasks = (await mbppTest()).slice(0, 4);
    const n = 5;
    const correct = [0, 1, 3, 5];
    const rows: unknown[] = [];
    tasks.forEach((t, i) => {
      for (let j = 0; j < n; j++) rows.push({ task_id: t.id, completion: j < correct[i]! ? t.reference : broken(t) });
    });
    await loadReplayFile(page, "known.jsonl", jsonl(rows));
    await newRun(page, { subset: tasks.map((t) => t.id).join(","), n, name: "known composition" });
    await expect(page.getByTestId("run-status")).toHaveText("done", { timeout: 60_000 });

    // Expected: mean over tasks of 1 − C(n−c, k)/C(n, k), from exact binomials.
    const expected = [1, 2, 3, 4, 5].map((k) => ({
      k,
      value: correct.reduce((s, c) => s + (1 - Number(choose(n - c, k)) / Number(choose(n, k))), 0) / correct.length,
    }));
    const shown = await passAtKTable(page);
    expect(shown.map((r) => r.k)).toEqual([1, 2, 3, 4, 5]);
    shown.forEach((r, i) => expect(r.value).toBeCloseTo(expected[i]!.value, 12));
    // pass@1 = 9/20, by hand.
    expect(shown[0]!.value).toBeCloseTo(0.45, 12);
    await expect(page.getByTestId("summary-solved")).toHaveText("75.00 %");
    await expect(page.getByTestId("summary-sample-rate")).toHaveText("45.00 %");
    for (const [i, t] of tasks.entries()) {
      await expect(page.locator(`[data-testid=task-table-row][data-task-id="${t.id}"] [data-testid=solve-fraction]`)).toContainText(`${correct[i]}/5`);
    }
    // Filtering the table: tasks no sample solved.
    await page.getByTestId("task-filter-kind").selectOption("unsolved");
    await expect(page.getByTestId("task-table-row")).toHaveCount(1);
    await expect(page.getByTestId("task-table-row")).toHaveAttribute("data-task-id", tasks[0]!.id);
    // The failing sample's drill-down names the failing assert.
    await page.getByTestId("task-table-row").click();
    await page.getByTestId("sample-chip").first().click();
    const detail = page.getByTestId("sample-detail");
    await expect(detail.getByTestId("verdict")).toHaveAttribute("data-kind", "failed");
    await expect(detail.locator("[data-testid=test-result][data-status=failed]").first()).toContainText("assert");
  });
});

test.describe("runs that stop", () => {
  const executablePath = config.use?.launchOptions?.executablePath ?? "/usr/bin/chromium";
  const args = config.use?.launchOptions?.args ?? [];
  const baseURL = config.use?.baseURL ?? "http://localhost:4173/";
  let dir: string;
  test.beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "sp-runs-profile-"));
  });
  test.afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A browser profile on disk, so IndexedDB outlives a closed context. */
  async function open(): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const context = await chromium.launchPersistentContext(dir, { executablePath, args, headless: true, baseURL });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(`uncaught: ${e.message}`));
    return { context, page, errors };
  }

  async function storedSamples(page: Page, runId: string): Promise<{ samples: string[]; verdicts: string[] }> {
    return page.evaluate(async (id) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const r = indexedDB.open("synthesis-playground");
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
      const all = (store: string) =>
        new Promise<string[]>((resolve, reject) => {
          const r = db.transaction(store).objectStore(store).index("byRun").getAllKeys(id);
          r.onsuccess = () => resolve((r.result as [string, string, number][]).map((k) => `${k[1]}#${k[2]}`));
          r.onerror = () => reject(r.error);
        });
      const out = { samples: await all("samples"), verdicts: await all("verdicts") };
      db.close();
      return out;
    }, runId);
  }

  test("a page closed mid-run reopens, resumes and ends with exactly tasks × n samples", async () => {
    test.setTimeout(300_000);
    const tasks = (await mbppTest()).slice(0, 150);
    const n = 2;
    const file = jsonl(tasks.flatMap((t) => [{ task_id: t.id, completion: t.reference }, { task_id: t.id, completion: raising(t) }]));

    const first = await open();
    await loadReplayFile(first.page, "closing.jsonl", file);
    const id = await newRun(first.page, { subset: `${tasks[0]!.id}-${tasks.at(-1)!.id}`, n, name: "closed mid-run" });
    // Close once some, but not all, samples are judged.
    await expect
      .poll(async () => Number((await first.page.getByTestId("progress-judged").textContent())?.split("/")[0]?.replace(/,/g, "")), { timeout: 120_000 })
      .toBeGreaterThanOrEqual(20);
    await first.context.close();
    expect(first.errors).toEqual([]);

    const second = await open();
    const { page } = second;
    await page.goto(`./#/runs/${id}`);
    const before = await storedSamples(page, id);
    expect(before.samples.length).toBeLessThan(tasks.length * n);
    await expect(page.getByTestId("run-status")).toHaveText("interrupted");
    await expect(page.getByTestId("resume-offer")).toContainText("was interrupted");
    // The replay file is not kept by the browser: the page says what to load.
    await expect(page.getByTestId("resume-blocked")).toContainText("load replay:closing.jsonl on the Engines screen");
    await expect(page.getByTestId("resume-run")).toBeDisabled();
    await loadReplayFile(page, "closing.jsonl", file);
    await page.goto(`./#/runs/${id}`);
    await page.getByTestId("resume-run").click();
    await expect(page.getByTestId("run-status")).toHaveText("done", { timeout: 240_000 });

    const after = await storedSamples(page, id);
    expect(after.samples).toHaveLength(tasks.length * n);
    expect(new Set(after.samples).size).toBe(tasks.length * n);
    expect(after.verdicts).toHaveLength(tasks.length * n);
    for (const k of before.samples) expect(after.samples).toContain(k);
    await expect(page.getByTestId("summary-samples")).toHaveText(`${tasks.length * n} / ${tasks.length * n}`);
    expect((await passAtKTable(page))[0]).toEqual({ k: 1, value: 0.5 });
    await second.context.close();
    expect(second.errors).toEqual([]);
  });

  test("a full disk pauses the run with a message, loses nothing, and Resume finishes it", async ({ page }) => {
    test.setTimeout(200_000);
    const tasks = (await mbppTest()).slice(0, 40);
    const n = 2;
    const file = jsonl(tasks.flatMap((t) => [{ task_id: t.id, completion: t.reference }, { task_id: t.id, completion: raising(t) }]));
    await loadReplayFile(page, "quota.jsonl", file);
    // The disk fills after some writes: the run is mid-way when it happens.
    await page.evaluate(() => globalThis.playground.runStorage.fill(30));
    const id = await newRun(page, { subset: `${tasks[0]!.id}-${tasks.at(-1)!.id}`, n, name: "full disk" });
    await expect(page.getByTestId("run-status")).toHaveText("paused", { timeout: 60_000 });
    await expect(page.getByTestId("run-message")).toContainText("storage for this site is full");
    const mid = await storedSamples(page, id);
    expect(mid.samples.length).toBeGreaterThan(0);
    expect(mid.samples.length).toBeLessThan(tasks.length * n);

    await page.evaluate(() => globalThis.playground.runStorage.free());
    await page.getByTestId("resume-run").click();
    await expect(page.getByTestId("run-status")).toHaveText("done", { timeout: 60_000 });
    const after = await storedSamples(page, id);
    expect(after.samples).toHaveLength(tasks.length * n);
    expect(new Set(after.samples).size).toBe(tasks.length * n);
    expect(after.verdicts).toHaveLength(tasks.length * n);
    for (const k of mid.samples) expect(after.samples).toContain(k);
    expect((await passAtKTable(page))[0]).toEqual({ k: 1, value: 0.5 });
  });
});
