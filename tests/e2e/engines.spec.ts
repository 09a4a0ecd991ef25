import type { Page } from "@playwright/test";
import { test, expect } from "./fixtures.ts";
import { startOpenAITestDouble, type OpenAITestDouble } from "../support/openai-test-double.ts";

/**
 * The engine screen (#/engines): WebGPU checks, web-llm failing offline, the OpenAI-compatible
 * engine against a protocol test double (a real HTTP server on another origin, started here), and
 * replay of samples files made in the test. No model weights can be fetched on our machines, so
 * web-llm is exercised only up to its first download.
 */

const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";

async function openEngines(page: Page): Promise<void> {
  await page.goto("./#/engines");
  await expect(page.getByRole("heading", { name: "Engine", exact: true })).toBeVisible();
}

async function chooseReplayFile(page: Page, name: string, text: string): Promise<void> {
  await page.getByTestId("choice-replay").check();
  await page.getByTestId("replay-file").setInputFiles({ name, mimeType: "application/json", buffer: Buffer.from(text) });
}

test.describe("without WebGPU (default launch)", () => {
  test("the picker says WebGPU is unavailable and why, and Load is off", async ({ page }) => {
    await openEngines(page);
    const gpu = page.getByTestId("gpu-status");
    await expect(gpu).toContainText("WebGPU is unavailable");
    // Headless Chromium without --enable-unsafe-webgpu has navigator.gpu but no adapter (RUNTIME_FACTS §11).
    await expect(gpu.getByRole("alert")).toContainText(/found no usable GPU adapter|does not offer WebGPU/);
    await expect(gpu).toContainText("The OpenAI-compatible endpoint and Replay engines work without a GPU.");
    await expect(page.getByTestId("load")).toBeDisabled();
    // The catalog is still browsable, with sizes.
    await expect(page.getByTestId("webllm-model")).toContainText("Qwen2.5-Coder-0.5B-Instruct");
    await expect(page.getByTestId("webllm-card")).toContainText("GPU memory");
    await expect(page.getByTestId("storage")).toContainText(/This site uses .* of .* the browser allows it/);
  });

  test("the GPU check page says why it cannot run", async ({ page }) => {
    await page.goto("./#/gpu-check");
    await expect(page.getByRole("heading", { name: "GPU check" })).toBeVisible();
    await expect(page.getByTestId("gpu-status")).toContainText("WebGPU is unavailable");
    await expect(page.getByTestId("gpu-check-run")).toBeDisabled();
    await expect(page.getByRole("main")).toContainText("11, 12, 13, 14, 15");
  });

  test("replay of a human-eval JSONL file: samples per task, unknown ids, try it", async ({ page }) => {
    await openEngines(page);
    const file = jsonl([
      { task_id: "HumanEval/0", completion: "    return False  # first\n" },
      { task_id: "HumanEval/7", completion: "    return []\n" },
      { task_id: "HumanEval/0", completion: "    return True  # second\n" },
      { task_id: "HumanEval/999", completion: "    pass\n" },
    ]);
    await chooseReplayFile(page, "samples.jsonl", file);
    await expect(page.getByTestId("replay-dataset")).toHaveValue("humaneval");
    const report = page.getByTestId("replay-report");
    await expect(report).toContainText("human-eval JSONL: samples.jsonl");
    await expect(page.getByTestId("replay-summary")).toContainText("3 sample(s) for 2 task(s) of HumanEval (164 problems) (1–2 per task");
    await expect(page.getByTestId("replay-unknown")).toContainText("HumanEval/999 on line 4");

    await page.getByTestId("load").click();
    await expect(page.getByTestId("current-engine")).toContainText("replay:samples.jsonl");
    await page.getByTestId("try-task").fill("HumanEval/0");
    await page.getByTestId("try-n").fill("2");
    await page.getByTestId("try-generate").click();
    const outputs = page.getByTestId("try-output");
    await expect(outputs).toHaveText(["    return False  # first\n", "    return True  # second\n"]);

    // Asking for more samples than stored says how many there are.
    await page.getByTestId("try-n").fill("3");
    await page.getByTestId("try-generate").click();
    await expect(page.getByTestId("try-error")).toContainText("has 2 sample(s) for task HumanEval/0, so sample #3 does not exist; set n to at most 2");
  });

  test("a malformed samples file is rejected whole with line numbers", async ({ page }) => {
    await openEngines(page);
    const file = [JSON.stringify({ task_id: "HumanEval/0", completion: "x" }), "{not json", JSON.stringify({ task_id: "HumanEval/1" })].join("\n");
    await chooseReplayFile(page, "broken.jsonl", file);
    const error = page.getByTestId("replay-error");
    await expect(error).toContainText("The file was not imported; nothing from it is used.");
    await expect(error).toContainText("line 2: not valid JSON");
    await expect(error).toContainText('line 3, field "completion": needs the generated code in "completion" (human-eval) or "solution" (EvalPlus)');
    await expect(page.getByTestId("load")).toBeDisabled();
  });

  test("replay of a bigcode list-of-lists file in MBPP test order", async ({ page }) => {
    await openEngines(page);
    const lists = Array.from({ length: 500 }, (_, i) => [`def f():\n    return ${i}\n`, `def f():\n    return -${i}\n`]);
    await chooseReplayFile(page, "generations.json", JSON.stringify(lists));
    await expect(page.getByTestId("replay-dataset")).toHaveValue("mbpp");
    await expect(page.getByTestId("replay-split")).toHaveValue("test");
    const report = page.getByTestId("replay-report");
    await expect(report).toContainText("bigcode-evaluation-harness generations: generations.json");
    await expect(report).toContainText("List 1 is task 11 and list 500 is task 510");
    await expect(page.getByTestId("replay-summary")).toContainText("1,000 sample(s) for 500 task(s) of MBPP (974 tasks) (2 per task; covers 500/500 test)");

    await page.getByTestId("load").click();
    await expect(page.getByTestId("current-engine")).toContainText("replay:generations.json");
    await page.getByTestId("try-task").fill("510");
    await page.getByTestId("try-n").fill("2");
    await page.getByTestId("try-generate").click();
    await expect(page.getByTestId("try-output")).toHaveText(["def f():\n    return 499\n", "def f():\n    return -499\n"]);
  });

  test("reference solutions of a dataset replay as one sample per task", async ({ page }) => {
    await openEngines(page);
    await page.getByTestId("choice-replay").check();
    await page.getByTestId("replay-mode-reference").check();
    await expect(page.getByTestId("replay-summary")).toContainText("974 sample(s) for 974 task(s) of MBPP (974 tasks) (1 per task");
    await page.getByTestId("load").click();
    await page.getByTestId("try-task").fill("11");
    await page.getByTestId("try-generate").click();
    await expect(page.getByTestId("try-output")).toContainText("def remove_Occ");
  });
});

test.describe("OpenAI-compatible engine against a protocol test double", () => {
  let server: OpenAITestDouble;
  test.beforeEach(async () => {
    server = await startOpenAITestDouble({
      cors: true,
      apiKey: "sk-e2e",
      models: ["test-double-coder", "other-model"],
      llamaCppTimings: true,
      script: (body, i) => ({ text: `    return ${String(body.seed)}  # answer ${i}\n\nprint("after the stop")\n` }),
    });
  });
  test.afterEach(() => server.close());

  test("lists models, sends exactly the chosen parameters and returns n samples", async ({ page }) => {
    await openEngines(page);
    await page.getByTestId("choice-openai").check();
    await page.getByTestId("openai-base-url").fill(server.url);
    await page.getByTestId("openai-key").fill("sk-e2e");
    await page.getByTestId("openai-list-models").click();
    await expect(page.getByTestId("openai-models")).toContainText("test-double-coder, other-model");
    await expect(page.getByTestId("openai-model")).toHaveValue("test-double-coder");
    // Not remembered unless asked: the key stays in memory only.
    expect(await page.evaluate(() => localStorage.getItem("synthesis-playground:openai"))).not.toContain("sk-e2e");

    await page.getByTestId("load").click();
    await expect(page.getByTestId("current-engine")).toContainText("OpenAI-compatible · test-double-coder");

    await page.getByTestId("try-prompt").fill("def answer():\n");
    await page.getByTestId("try-temperature").fill("0.2");
    await page.getByTestId("try-top-p").fill("0.9");
    await page.getByTestId("try-max-tokens").fill("40");
    await page.getByTestId("try-repetition").fill("1");
    await page.getByTestId("try-seed").fill("5");
    await page.getByTestId("try-n").fill("3");
    await page.getByTestId("try-stop").fill("\\n\\nprint\n[DONE]");
    const before = server.generationBodies().length;
    await page.getByTestId("try-prompt").press("Control+Enter");

    await expect(page.getByTestId("try-output")).toHaveText(["    return 5  # answer 0", "    return 6  # answer 1", "    return 7  # answer 2"]);
    await expect(page.getByTestId("try-rate").first()).toHaveText("42.3 tokens/s");
    await expect(page.getByTestId("try-status").first()).toHaveText("finished: stop");
    expect(server.generationBodies().slice(before)).toEqual(
      [5, 6, 7].map((seed) => ({
        model: "test-double-coder",
        prompt: "def answer():\n",
        temperature: 0.2,
        top_p: 0.9,
        max_tokens: 40,
        stop: ["\n\nprint", "[DONE]"],
        seed,
        n: 1,
        stream: true,
        stream_options: { include_usage: true },
      })),
    );
    const posts = server.requests.filter((r) => r.method === "POST");
    expect(posts.every((r) => r.path === "/v1/completions" && r.headers.authorization === "Bearer sk-e2e")).toBe(true);

    // Chat form goes to /v1/chat/completions with the messages.
    await page.getByTestId("try-kind-chat").check();
    await page.getByTestId("try-prompt").fill("Write a function that returns 5.");
    await page.getByTestId("try-n").fill("1");
    await page.getByTestId("try-generate").click();
    await expect(page.getByTestId("try-output")).toHaveText(["    return 5  # answer 3"]);
    const chat = server.requests.at(-1)!;
    expect(chat.path).toBe("/v1/chat/completions");
    expect(chat.body).toMatchObject({ messages: [{ role: "user", content: "Write a function that returns 5." }], seed: 5, temperature: 0.2, n: 1 });
  });

  test("remembering the API key is opt-in and warned about", async ({ page }) => {
    await openEngines(page);
    await page.getByTestId("choice-openai").check();
    await page.getByTestId("openai-key").fill("sk-e2e");
    await expect(page.getByTestId("openai-remember-warning")).toHaveCount(0);
    await page.getByTestId("openai-remember").check();
    await expect(page.getByTestId("openai-remember-warning")).toContainText("stored unencrypted");
    expect(await page.evaluate(() => localStorage.getItem("synthesis-playground:openai"))).toContain("sk-e2e");
    await page.reload();
    await page.getByTestId("choice-openai").check();
    await expect(page.getByTestId("openai-key")).toHaveValue("sk-e2e");
    await page.getByTestId("openai-remember").uncheck();
    expect(await page.evaluate(() => localStorage.getItem("synthesis-playground:openai"))).not.toContain("sk-e2e");
  });
});

test.describe("OpenAI-compatible server without CORS headers", () => {
  let server: OpenAITestDouble;
  test.beforeEach(async () => {
    server = await startOpenAITestDouble({ cors: false });
  });
  test.afterEach(() => server.close());

  test("produces the CORS explanation", async ({ page, consoleErrors }) => {
    await openEngines(page);
    await page.getByTestId("choice-openai").check();
    await page.getByTestId("openai-base-url").fill(server.url);
    await page.getByTestId("openai-model").fill("any");
    await page.getByTestId("load").click();
    const error = page.getByTestId("load-error");
    await expect(error).toContainText(`The server must send Access-Control-Allow-Origin: ${new URL(page.url()).origin} (or *)`);
    await expect(error).toContainText("OLLAMA_ORIGINS");
    await expect(page.getByTestId("retry")).toBeVisible();
    // The server did receive the request: only the browser's CORS check stopped the answer.
    expect(server.requests.some((r) => r.path === "/v1/models")).toBe(true);
    // Chromium itself logs the blocked fetch (and the blocked no-cors probe under COEP); those, and
    // only those, are expected here.
    expect(consoleErrors.some((e) => /has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header/.test(e))).toBe(true);
    const expected = /has been blocked by CORS policy|^Failed to load resource: net::ERR_(FAILED|BLOCKED_BY_RESPONSE\.NotSameOriginAfterDefaultedToSameOriginByCoep)$/;
    const unexpected = consoleErrors.filter((e) => !expected.test(e));
    consoleErrors.splice(0, consoleErrors.length, ...unexpected);
  });
});

/**
 * Playwright refuses `test.use({ launchOptions })` inside a describe group ("it forces a new
 * worker"), so this group launches its own Chromium with the WebGPU flag and reports that page's
 * console errors through the same fixture.
 */
test.describe("with WebGPU (SwiftShader, no shader-f16)", () => {
  const WEBGPU_ARGS = ["--disable-quic", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync", "--enable-unsafe-webgpu"];

  test("the f16 check picks q4f32_1, and loading offline fails fast with the network message and Retry", async ({ playwright, baseURL, consoleErrors }) => {
    const browser = await playwright.chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: WEBGPU_ARGS });
    try {
      const context = await browser.newContext({ baseURL: baseURL! });
      const page = await context.newPage();
      page.on("console", (m) => {
        if (m.type() === "error") consoleErrors.push(m.text());
      });
      page.on("pageerror", (e) => consoleErrors.push(`uncaught: ${e.message}`));
      // web-llm runs in a worker: its console errors count too.
      page.on("worker", (w) =>
        w.on("console", (m) => {
          if (m.type() === "error") consoleErrors.push(`worker: ${m.text()}`);
        }),
      );

      await openEngines(page);
      await expect(page.getByTestId("gpu-f16")).toHaveText("no");
      await expect(page.getByTestId("gpu-status")).toContainText("WebGPU ready");
      await expect(page.getByTestId("f16-notice")).toContainText("q4f32_1");
      await expect(page.getByTestId("variant-f16")).toBeDisabled();
      await expect(page.getByTestId("variant-f32")).toBeChecked();
      await expect(page.getByTestId("webllm-model-id")).toHaveText("Qwen2.5-Coder-0.5B-Instruct-q4f32_1-MLC");
      // Every family offered here is its q4f32_1 variant (SmolLM2's f16 record requires shader-f16).
      await page.getByTestId("webllm-model").selectOption("SmolLM2-360M-Instruct");
      await expect(page.getByTestId("webllm-model-id")).toHaveText("SmolLM2-360M-Instruct-q4f32_1-MLC");
      await page.getByTestId("webllm-model").selectOption("Qwen2.5-Coder-0.5B-Instruct");

      // "Offline" for the model hosts only: context.setOffline would also stop the page loading its
      // own worker script from localhost. (This machine has no DNS either, so the fetch fails anyway.)
      const blocked: string[] = [];
      await context.route(/^https:\/\/(huggingface\.co|raw\.githubusercontent\.com|cdn-lfs[^/]*\.huggingface\.co)\//, (route) => {
        blocked.push(route.request().url());
        return route.abort("internetdisconnected");
      });
      const load = page.getByTestId("load");
      await expect(load).toHaveText("Download and load Qwen2.5-Coder-0.5B-Instruct-q4f32_1-MLC");
      const t0 = Date.now();
      await load.click();
      const error = page.getByTestId("load-error");
      await expect(error).toContainText(
        "Could not download the files of Qwen2.5-Coder-0.5B-Instruct-q4f32_1-MLC: the browser is offline or the download server is unreachable",
        { timeout: 15_000 },
      );
      expect(Date.now() - t0).toBeLessThan(15_000);
      // It failed because the model host was unreachable (the request was made, and refused).
      expect(blocked.some((u) => u.endsWith("/mlc-chat-config.json"))).toBe(true);
      await expect(page.getByTestId("retry")).toBeVisible();

      await page.getByTestId("retry").click();
      await expect(page.getByTestId("load-progress")).toHaveCount(0, { timeout: 15_000 });
      await expect(error).toContainText("the browser is offline or the download server is unreachable");
      await expect(page.getByTestId("current-engine")).toContainText("No engine loaded");

      // The GPU check page loads the same model the same way: the same message, the same Retry.
      await page.goto("./#/gpu-check");
      await expect(page.getByRole("main")).toContainText("Qwen2.5-Coder-0.5B-Instruct-q4f32_1-MLC");
      await page.getByTestId("gpu-check-run").click();
      await expect(page.getByTestId("load-error")).toContainText("the browser is offline or the download server is unreachable", { timeout: 15_000 });
      await expect(page.getByTestId("retry")).toBeVisible();
      await expect(page.getByTestId("gpu-check-run")).toBeEnabled();
    } finally {
      await browser.close();
    }
  });
});
