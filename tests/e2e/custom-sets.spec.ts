import { test, expect } from "./fixtures.ts";

const good = [
  { task_id: 1, text: "Write a function to add two numbers.", code: "def add(a, b):\n    return a + b", test_list: ["assert add(1, 2) == 3", "assert add(-1, 1) == 0"] },
  { task_id: 2, text: "Write a function to double a number.", code: "def double(x):\n    return 2 * x", test_list: ["assert double(4) == 8"], challenge_test_list: ["assert double(0) == 0"] },
]
  .map((r) => JSON.stringify(r))
  .join("\n");

const malformed = [
  JSON.stringify({ task_id: 1, text: "Add.", code: "def add(a, b):\n    return a + b", test_list: ["assert add(1, 2) == 3"] }),
  JSON.stringify({ task_id: 2, text: "Double.", code: "def double(x):\n    return 2 * x" }),
  JSON.stringify({ task_id: 3, text: "Triple.", code: "def triple(x):\n    return 3 * x", test_list: ["assert triple(1) == 3"] }),
].join("\n");

const file = (name: string, text: string) => ({ name, mimeType: "application/json", buffer: Buffer.from(text) });

test("a file with one malformed line names that line and imports nothing", async ({ page }) => {
  await page.goto("./#/tasks/mbpp/test");
  await expect(page.getByTestId("task-count")).toHaveText("500 tasks");
  const before = await page.getByTestId("dataset-picker").locator("option").count();
  await page.getByTestId("import-input").setInputFiles(file("broken.jsonl", malformed));
  const error = page.getByTestId("import-error");
  await expect(error).toContainText("broken.jsonl was not imported");
  await expect(error).toContainText('line 2, field "test_list"');
  await expect(error).not.toContainText("line 1");
  await expect(error).not.toContainText("line 3");
  await page.reload();
  await expect(page.getByTestId("task-count")).toHaveText("500 tasks");
  await expect(page.getByTestId("dataset-picker").locator("option")).toHaveCount(before);
  const stored = await page.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const req = indexedDB.open("synthesis-playground");
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const db = req.result;
          if (!db.objectStoreNames.contains("customSets")) return resolve(0);
          const count = db.transaction("customSets").objectStore("customSets").count();
          count.onsuccess = () => resolve(count.result);
        };
      }),
  );
  expect(stored).toBe(0);
});

test("a good custom set is stored, survives reload, runs its tests, and can be deleted", async ({ page }) => {
  await page.goto("./#/tasks/mbpp/test");
  await page.getByTestId("import-input").setInputFiles(file("my-tasks.jsonl", good));
  await expect(page.getByTestId("import-notice")).toHaveText("Imported 2 tasks from my-tasks.jsonl.");
  await expect(page).toHaveURL(/#\/tasks\/custom%3A[0-9a-f-]+\/all$/);
  await expect(page.getByTestId("task-count")).toHaveText("2 tasks");

  await page.reload();
  await expect(page.getByTestId("task-count")).toHaveText("2 tasks");
  await expect(page.getByTestId("dataset-picker")).toHaveValue(/^custom:/);
  await expect(page.getByTestId("dataset-picker").locator("option:checked")).toContainText("my-tasks (2 MBPP-shape tasks)");

  await page.locator('[data-testid="task-row"][data-task-id="2"]').click();
  await expect(page.getByTestId("hidden-tests")).toContainText("assert double(0) == 0");
  await page.getByTestId("run-tests").click();
  await expect(page.getByTestId("verdict")).toHaveAttribute("data-kind", "passed", { timeout: 60_000 });
  await expect(page.locator('[data-testid="test-result"][data-status="passed"]')).toHaveCount(2);

  page.once("dialog", (d) => void d.accept());
  await page.getByTestId("delete-set").click();
  await expect(page).toHaveURL(/#\/tasks\/mbpp\/test$/);
  await page.reload();
  await expect(page.getByTestId("dataset-picker").locator("option", { hasText: "my-tasks" })).toHaveCount(0);
});

test("a file dropped on the page is imported (HumanEval shape)", async ({ page }) => {
  await page.goto("./#/tasks/mbpp/test");
  await expect(page.getByTestId("task-count")).toHaveText("500 tasks");
  const line = JSON.stringify({
    task_id: "Mine/0",
    prompt: 'def inc(x):\n    """Add one."""\n',
    canonical_solution: "    return x + 1\n",
    test: "def check(candidate):\n    assert candidate(1) == 2\n",
    entry_point: "inc",
  });
  await page.evaluate((text) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], "dropped.jsonl", { type: "application/json" }));
    window.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
    window.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, line);
  await expect(page.getByTestId("import-notice")).toHaveText("Imported 1 task from dropped.jsonl.");
  await expect(page.getByTestId("task-count")).toHaveText("1 task");
  await page.locator('[data-testid="task-row"]').first().click();
  await page.getByTestId("run-tests").click();
  await expect(page.getByTestId("verdict")).toHaveAttribute("data-kind", "passed", { timeout: 60_000 });
});
