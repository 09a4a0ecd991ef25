import { test, expect } from "./fixtures.ts";
import { CANARY, HOSTILE_PROGRAMS, HOSTILE_TIMEOUT_MS } from "../support/hostile.ts";

test.describe.configure({ timeout: 600_000 });

test("hostile programs are contained in Chromium: right verdict, clean next run, storage untouched, no request leaves", async ({ page, baseURL }) => {
  await page.goto("./");
  await page.evaluate(() => playground.pool().ready());
  // The app's data stand-ins: an IndexedDB record and a Cache Storage entry that no program may touch.
  await page.evaluate(async () => {
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.open("sp-canary", 1);
      req.onupgradeneeded = () => req.result.createObjectStore("kv");
      req.onsuccess = () => {
        const tx = req.result.transaction("kv", "readwrite");
        tx.objectStore("kv").put("intact", "state");
        tx.oncomplete = () => (req.result.close(), resolve());
      };
      req.onerror = () => reject(req.error);
    });
    await (await caches.open("webllm/model")).put("/canary", new Response("intact"));
  });
  const requests: string[] = [];
  page.on("request", (r) => requests.push(r.url()));
  const origin = new URL(baseURL!).origin;

  const corpus = HOSTILE_PROGRAMS.filter((h) => h.env !== "node");
  expect(corpus.length).toBeGreaterThanOrEqual(40);
  for (const h of corpus) {
    const v = await page.evaluate(([code, ms]) => playground.run(code, [], ms), [h.code, HOSTILE_TIMEOUT_MS] as const);
    expect(h.expect, `${h.name}: ${v.kind} ${v.error?.type}: ${v.error?.message}`).toContain(v.kind);
    if (h.error) expect(`${v.error?.type}: ${v.error?.message}`, h.name).toContain(h.error);
    const canary = await page.evaluate((code) => playground.run(code), CANARY);
    expect(canary.error?.message ?? "", `canary after ${h.name}`).toBe("");
    expect(canary.stdout, `canary after ${h.name}`).toBe("clean\n");
  }

  const state = await page.evaluate(async () => {
    const value = await new Promise<unknown>((resolve, reject) => {
      const req = indexedDB.open("sp-canary", 1);
      req.onsuccess = () => {
        const get = req.result.transaction("kv").objectStore("kv").get("state");
        get.onsuccess = () => (req.result.close(), resolve(get.result));
      };
      req.onerror = () => reject(req.error);
    });
    const cached = await (await caches.open("webllm/model")).match("/canary");
    const dbs = (await indexedDB.databases()).map((d) => d.name);
    return { value, cached: cached ? await cached.text() : null, dbs };
  });
  expect(state).toMatchObject({ value: "intact", cached: "intact" });
  expect(state.dbs).toContain("sp-canary");
  // Replacement workers fetch Pyodide's own files from this origin; nothing else may be requested.
  const foreign = requests.filter((u) => !u.startsWith(origin) || !/\/(pyodide|assets)\//.test(new URL(u).pathname));
  expect(foreign).toEqual([]);
  expect(await page.evaluate(() => playground.stats().interruptible)).toBe(true);
});

test("gold: every reference solution passes in Chromium", async ({ page }) => {
  await page.goto("./");
  for (const [id, n] of [["mbpp", 974], ["mbpp-sanitized", 427], ["humaneval", 164]] as const) {
    const report = await page.evaluate((d) => playground.verifyGold(d), id);
    expect(report.failures, id).toEqual([]);
    expect(report.passed, id).toBe(n);
  }
});
