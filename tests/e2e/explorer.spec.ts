import { test, expect, setEditor } from "./fixtures.ts";

test("the page is cross-origin isolated and opens on the MBPP test split", async ({ page }) => {
  await page.goto("./");
  await expect(page).toHaveURL(/#\/tasks\/mbpp\/test$/);
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  await expect(page.getByTestId("task-count")).toHaveText("500 tasks");
  await expect(page.getByTestId("isolation")).toHaveText("");
});

test("split sizes: MBPP and sanitized MBPP", async ({ page }) => {
  await page.goto("./#/tasks/mbpp/test");
  const count = page.getByTestId("task-count");
  await expect(count).toHaveText("500 tasks");
  for (const [split, n] of [["train", 374], ["validation", 90], ["prompt", 10], ["all", 974]] as const) {
    await page.getByTestId("split-picker").selectOption(split);
    await expect(count).toHaveText(`${n} tasks`);
  }
  await page.getByTestId("dataset-picker").selectOption("mbpp-sanitized");
  await expect(page).toHaveURL(/#\/tasks\/mbpp-sanitized\/test$/);
  await expect(count).toHaveText("257 tasks");
  await page.getByTestId("dataset-picker").selectOption("humaneval");
  await expect(count).toHaveText("164 tasks");
});

test("the 974-row list is virtualised and reaches its last row", async ({ page }) => {
  await page.goto("./#/tasks/mbpp/all");
  await expect(page.getByTestId("task-count")).toHaveText("974 tasks");
  const rows = page.getByTestId("task-row");
  await expect(rows.first()).toHaveAttribute("data-task-id", "1");
  expect(await rows.count()).toBeLessThan(60);
  await page.getByTestId("task-list").evaluate((el) => (el.scrollTop = el.scrollHeight));
  await expect(page.locator('[data-testid="task-row"][data-task-id="974"]')).toBeVisible();
  expect(await rows.count()).toBeLessThan(60);
});

test("search finds a task by a word of its text and by its id", async ({ page }) => {
  await page.goto("./#/tasks/mbpp/test");
  const search = page.getByTestId("search");
  await search.fill("amicable");
  await expect(page.getByTestId("task-count")).toHaveText("1 of 500 tasks");
  await expect(page.getByTestId("task-row")).toHaveAttribute("data-task-id", "123");
  await expect(page).toHaveURL(/\?q=amicable$/);

  await search.fill("");
  await page.keyboard.press("Escape");
  await page.locator("body").press("/");
  await expect(search).toBeFocused();
  await search.fill("17");
  await expect(page.locator('[data-testid="task-row"][data-task-id="17"]')).toBeVisible();
  // Down arrow from the search box opens the first match.
  await search.press("ArrowDown");
  await expect(page.getByTestId("task-detail")).toHaveAttribute("data-task-id", "17");
  await expect(page.getByTestId("task-text")).toContainText("perimeter of a square");
});

test("task 11: the reference passes all three asserts; a broken edit shows the failing assert", async ({ page }) => {
  await page.goto("./#/tasks/mbpp/test/11");
  await expect(page.getByTestId("task-text")).toContainText("remove first and last occurrence");
  await expect(page.getByTestId("shown-tests")).toContainText('remove_Occ("hello","l") == "heo"');
  await page.getByTestId("run-tests").click();
  const verdict = page.getByTestId("verdict");
  await expect(verdict).toHaveAttribute("data-kind", "passed", { timeout: 60_000 });
  // Three shown asserts, then MBPP's two challenge tests for this task, reported as hidden.
  await expect(page.locator('[data-testid="test-result"][data-hidden="false"]')).toHaveCount(3);
  await expect(page.locator('[data-testid="test-result"][data-hidden="true"]')).toHaveCount(2);
  await expect(page.locator('[data-testid="test-result"][data-status="passed"]')).toHaveCount(5);

  await setEditor(page, 'def remove_Occ(s, ch):\n    print("trying", s)\n    return s\n');
  await page.keyboard.press("ControlOrMeta+Enter");
  await expect(verdict).toHaveAttribute("data-kind", "failed");
  const first = page.getByTestId("test-result").first();
  await expect(first).toHaveAttribute("data-status", "failed");
  await expect(first).toContainText('assert remove_Occ("hello","l") == "heo"');
  await expect(page.getByTestId("stdout")).toContainText("trying hello");

  await setEditor(page, "def remove_Occ(s, ch):\n    return s[10]\n");
  await page.getByTestId("run-tests").click();
  await expect(verdict).toHaveAttribute("data-kind", "error");
  await expect(page.getByTestId("test-result").first()).toHaveAttribute("data-status", "error");
  await expect(page.getByTestId("test-result").first()).toContainText("IndexError");
  await expect(page.getByTestId("test-result").first()).toContainText("line 2");
});

test("a syntax error is reported with its line", async ({ page }) => {
  await page.goto("./#/tasks/mbpp/test/11");
  await setEditor(page, "def remove_Occ(s, ch)\n    return s\n");
  await page.getByTestId("run-tests").click();
  await expect(page.getByTestId("verdict")).toHaveAttribute("data-kind", "syntax_error", { timeout: 60_000 });
  await expect(page.getByTestId("program-error")).toContainText("SyntaxError");
  await expect(page.getByTestId("program-error")).toContainText("line 1");
});

test("a runaway edit is stopped from the page, and the next run works", async ({ page }) => {
  await page.goto("./#/tasks/mbpp/test/11");
  await setEditor(page, "while True:\n    pass\n");
  await page.getByTestId("run-tests").click();
  const stop = page.getByTestId("stop");
  await expect(stop).toBeVisible();
  // Stop once Python is up and running the loop (the first run also starts the interpreter).
  await expect(page.getByRole("status")).toHaveText("Running…", { timeout: 60_000 });
  await stop.click();
  await expect(page.getByTestId("verdict")).toContainText("Stopped", { timeout: 15_000 });
  await expect(stop).toBeHidden();

  await page.getByRole("button", { name: "Reset to reference" }).click();
  await page.getByTestId("run-tests").click();
  await expect(page.getByTestId("verdict")).toHaveAttribute("data-kind", "passed", { timeout: 60_000 });
});

test("HumanEval: the editor holds prompt + canonical solution, and check() passes", async ({ page }) => {
  await page.goto(`./#/tasks/humaneval/test/${encodeURIComponent("HumanEval/0")}`);
  await expect(page.getByTestId("task-text")).toContainText("def has_close_elements");
  await expect(page.getByTestId("hidden-tests")).toContainText("check(has_close_elements)");
  await page.getByTestId("run-tests").click();
  await expect(page.getByTestId("verdict")).toHaveAttribute("data-kind", "passed", { timeout: 60_000 });
});
