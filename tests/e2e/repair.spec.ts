import type { Page } from "@playwright/test";
import { test, expect } from "./fixtures.ts";
import { answersInOrder, startOpenAITestDouble, type OpenAITestDouble, type ScriptedAnswer } from "../support/openai-test-double.ts";

/**
 * The paper's other experiments in the built site (issue 7): repair dialogs (§5, Figure 14),
 * execution prediction (§6) and a MathQA-Python run. The model is the OpenAI-compatible engine
 * talking to a protocol test double (a real HTTP server on another origin, answering from a
 * script); the sandbox, the scoring and the storage are the real ones.
 */

const MODEL = "test-double-coder";

async function loadTestDouble(page: Page, server: OpenAITestDouble): Promise<void> {
  await page.goto("./#/engines");
  await page.getByTestId("choice-openai").check();
  await page.getByTestId("openai-base-url").fill(server.url);
  await page.getByTestId("openai-model").fill(MODEL);
  await page.getByTestId("load").click();
  await expect(page.getByTestId("current-engine")).toContainText(`OpenAI-compatible · ${MODEL}`);
}

/** Prompts of the generation requests the server received, in order. */
const prompts = (server: OpenAITestDouble) => server.generationBodies().map((b) => String(b.prompt));

/** The first row of Figure 14's table: per turn, the share as the page prints it. */
async function curve(page: Page, mode: "human" | "auto"): Promise<string[]> {
  return page.getByTestId(`curve-${mode}`).locator("td").allTextContents();
}

// MBPP task 11: "remove first and last occurrence of a given character from the string".
const FAILING_ASSERT = 'assert remove_Occ("hello","l") == "heo"';
const KEEPS_ALL = "def remove_Occ(s,ch):\n    return s\n[DONE]";
const FIRST_ONLY = 'def remove_Occ(s,ch):\n    return s.replace(ch, "", 1)\n[DONE]';
const FIRST_AND_LAST = 'def remove_Occ(s,ch):\n    s = s.replace(ch, "", 1)\n    i = s.rfind(ch)\n    return s if i < 0 else s[:i] + s[i + 1:]\n[DONE]';

async function startDialog(page: Page, mode: "human" | "auto"): Promise<string> {
  await page.getByRole("link", { name: "Repair", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Repair dialog" })).toBeVisible();
  await page.getByTestId("repair-task").fill("11");
  await expect(page.getByTestId("repair-task-preview")).toContainText(FAILING_ASSERT);
  await page.getByTestId(`repair-mode-${mode}`).check();
  await expect(page.getByTestId("repair-form")).toHaveValue("completion");
  await page.getByTestId("repair-start").click();
  await expect(page).toHaveURL(/#\/repair\/[0-9a-f-]{36}$/);
  return decodeURIComponent(new URL(page.url()).hash.slice("#/repair/".length));
}

test.describe("repair dialog", () => {
  let server: OpenAITestDouble;
  test.afterEach(() => server.close());

  test("human feedback: three turns end solved, each with its verdict and diff, and the dialog is still there after a reload", async ({ page }) => {
    server = await startOpenAITestDouble({ cors: true, models: [MODEL], script: answersInOrder([KEEPS_ALL, FIRST_ONLY, FIRST_AND_LAST]) });
    await loadTestDouble(page, server);
    const id = await startDialog(page, "human");

    const turns = page.getByTestId("turn");
    const status = page.getByTestId("dialog-status");
    // The first turn also waits for Python's first start (seconds on a busy machine).
    await expect(turns).toHaveCount(1, { timeout: 90_000 });
    await expect(status).toHaveAttribute("data-status", "awaiting-feedback");
    await expect(turns.nth(0)).toHaveAttribute("data-verdict", "failed");
    await expect(turns.nth(0).getByTestId("turn-code")).toHaveText("def remove_Occ(s,ch):\n    return s");
    await expect(turns.nth(0)).toContainText(FAILING_ASSERT);

    const first = "It must remove the character, not return the string unchanged.";
    await page.getByTestId("feedback").fill(first);
    await page.getByTestId("send-feedback").click();
    await expect(turns).toHaveCount(2);
    await expect(turns.nth(1)).toHaveAttribute("data-verdict", "failed");
    await expect(status).toHaveAttribute("data-status", "awaiting-feedback");
    // The diff to turn 1: the return line replaced.
    const diff2 = turns.nth(1).getByTestId("turn-diff");
    await expect(diff2.locator("summary")).toContainText("+1 −1");
    await expect(diff2.locator('[data-kind="add"]')).toHaveText(['+added: return s.replace(ch, "", 1)\n']);
    await expect(diff2.locator('[data-kind="del"]')).toHaveText(["−removed: return s\n"]);
    await expect(turns.nth(0).getByTestId("turn-feedback")).toContainText(first);
    await expect(page.getByTestId("feedback")).toHaveValue("");

    const second = "Now it removes only the first one; remove the last occurrence too.";
    await page.getByTestId("feedback").fill(second);
    await page.getByTestId("feedback").press("Control+Enter");
    await expect(turns).toHaveCount(3);
    await expect(status).toHaveAttribute("data-status", "solved");
    await expect(status).toHaveText("solved at turn 3");
    await expect(turns.nth(2)).toHaveAttribute("data-verdict", "passed");
    await expect(turns.nth(2).getByTestId("turn-diff").locator("summary")).toContainText("+3 −1");
    await expect(page.getByTestId("feedback")).toHaveCount(0);

    // What the model was sent: the paper's prompt, then each program, its result and the person's words.
    const sent = prompts(server);
    expect(sent).toHaveLength(3);
    expect(sent[0]).toContain("You are an expert Python programmer, and here is your task: Write a python function to remove first and last occurrence");
    expect(sent[0]).not.toContain("Feedback:");
    expect(sent[1]).toContain(`def remove_Occ(s,ch):\n    return s\n[DONE]\nThe code was tested: this test failed: ${FAILING_ASSERT}`);
    expect(sent[1]).toContain(`Feedback: ${first}\nRevise the code.\n[BEGIN]\n`);
    expect(sent[2]).toContain(`Feedback: ${first}`);
    expect(sent[2]).toContain(`Feedback: ${second}\nRevise the code.\n[BEGIN]\n`);

    await page.reload();
    await expect(page.getByTestId("dialog-status")).toHaveText("solved at turn 3");
    await expect(turns).toHaveCount(3);
    expect(await turns.evaluateAll((ts) => ts.map((t) => t.getAttribute("data-verdict")))).toEqual(["failed", "failed", "passed"]);
    await expect(page.getByTestId("turn-feedback")).toHaveText([new RegExp(first.replace(/[.;]/g, "\\$&")), new RegExp(second.replace(/[.;]/g, "\\$&"))]);
    await expect(turns.nth(2).getByTestId("turn-code")).toContainText("i = s.rfind(ch)");

    // The list and Figure 14: one human dialog, solved at turn 3.
    await page.getByRole("link", { name: "All dialogs" }).click();
    await expect(page.getByTestId("dialog-row")).toHaveCount(1);
    await expect(page.getByTestId("dialog-row")).toHaveAttribute("data-status", "solved");
    await expect(page.getByTestId("dialog-row")).toContainText("solved at turn 3");
    expect(await curve(page, "human")).toEqual(["1", "0 %", "0 %", "100 %", "100 %", "100 %"]);
    expect(await curve(page, "auto")).toEqual(["0", "–", "–", "–", "–", "–"]);
    await page.getByTestId("dialog-row").getByRole("link").click();
    await expect(page).toHaveURL(new RegExp(`#/repair/${id}$`));
    await expect(page.getByTestId("dialog-status")).toHaveText("solved at turn 3");
  });

  test("automatic feedback sends the failing assert and goes on by itself until solved", async ({ page }) => {
    server = await startOpenAITestDouble({ cors: true, models: [MODEL], script: answersInOrder([KEEPS_ALL, FIRST_AND_LAST]) });
    await loadTestDouble(page, server);
    await startDialog(page, "auto");

    await expect(page.getByTestId("dialog-status")).toHaveText("solved at turn 2", { timeout: 90_000 });
    const turns = page.getByTestId("turn");
    await expect(turns).toHaveCount(2);
    await expect(turns.nth(0)).toHaveAttribute("data-verdict", "failed");
    await expect(turns.nth(1)).toHaveAttribute("data-verdict", "passed");
    // Nobody was asked for words.
    await expect(page.getByTestId("feedback")).toHaveCount(0);
    await expect(turns.nth(0).getByTestId("turn-feedback")).toContainText(`Automatic feedback: The test \`${FAILING_ASSERT}\` failed`);

    const sent = prompts(server);
    expect(sent).toHaveLength(2);
    expect(sent[0]).not.toContain("Feedback:");
    // The failing assert as feedback (the prompt shows the task's tests anyway; this is the feedback line).
    expect(sent[1]).toContain(`Feedback: The test \`${FAILING_ASSERT}\` failed`);

    await page.getByRole("link", { name: "All dialogs" }).click();
    expect(await curve(page, "auto")).toEqual(["1", "0 %", "100 %", "100 %", "100 %", "100 %"]);
    expect(await curve(page, "human")).toEqual(["0", "–", "–", "–", "–", "–"]);

    // Deleting a dialog takes it out of the list and out of Figure 14, for good.
    page.once("dialog", (d) => void d.accept());
    await page.getByTestId("delete-dialog").click();
    await expect(page.getByTestId("dialog-row")).toHaveCount(0);
    expect(await curve(page, "auto")).toEqual(["0", "–", "–", "–", "–", "–"]);
    await page.reload();
    await expect(page.getByRole("heading", { name: "Repair dialog" })).toBeVisible();
    await expect(page.getByTestId("dialog-row")).toHaveCount(0);
  });

  test("Stop cancels the model's request; the dialog is saved as stopped and Continue asks again", async ({ page }) => {
    // The first answer would come only after a minute: Stop must end the wait, not the server.
    server = await startOpenAITestDouble({ cors: true, models: [MODEL], script: answersInOrder([{ text: KEEPS_ALL, delayMs: 60_000 }, FIRST_AND_LAST]) });
    await loadTestDouble(page, server);
    const id = await startDialog(page, "human");
    await expect(page.getByTestId("repair-busy")).toBeVisible();
    await page.getByTestId("repair-stop").click();
    await expect(page.getByTestId("dialog-status")).toHaveAttribute("data-status", "stopped");
    await expect(page.getByTestId("turn")).toHaveCount(0);
    await expect(page.getByTestId("repair-busy")).toHaveCount(0);

    await page.getByRole("link", { name: "All dialogs" }).click();
    await expect(page.getByTestId("dialog-row")).toHaveAttribute("data-status", "stopped");
    await page.getByTestId("dialog-row").getByRole("link").click();
    await expect(page).toHaveURL(new RegExp(`#/repair/${id}$`));
    await page.getByTestId("repair-continue").click();
    await expect(page.getByTestId("dialog-status")).toHaveText("solved at turn 1", { timeout: 90_000 });
    await expect(page.getByTestId("turn")).toHaveAttribute("data-verdict", "passed");
    expect(server.generationBodies()).toHaveLength(2);

    await page.reload();
    await expect(page.getByTestId("dialog-status")).toHaveText("solved at turn 1");
  });
});

/**
 * Scripted predictions for MBPP tasks 11 and 17, by the call at the end of the prompt and the
 * prompt variant; `right` says whether the answer equals the call's value. Variant: the
 * description comes first as a comment (`# Write …`); worked examples add more `>>>` lines.
 */
const PREDICTIONS: Record<string, Record<"code" | "code+text" | "code+text+examples", { text: string; right: boolean }>> = {
  'remove_Occ("hello","l")': { code: { text: "'heo'", right: true }, "code+text": { text: "'heo'", right: true }, "code+text+examples": { text: "'heo'", right: true } },
  // Double quotes: the same str value.
  'remove_Occ("abcda","a")': { code: { text: '"bcd"', right: true }, "code+text": { text: '"bcd"', right: true }, "code+text+examples": { text: '"bcd"', right: true } },
  'remove_Occ("PHP","P")': { code: { text: "'HP'", right: false }, "code+text": { text: "'HP'", right: false }, "code+text+examples": { text: "'H'", right: true } },
  "square_perimeter(10)": { code: { text: "40", right: true }, "code+text": { text: "40", right: true }, "code+text+examples": { text: "40", right: true } },
  // 20.0 == 20 in Python.
  "square_perimeter(5)": { code: { text: "20.0", right: true }, "code+text": { text: "20.0", right: true }, "code+text+examples": { text: "20.0", right: true } },
  // Not a literal: compared as text, and wrong; a list is not an int.
  "square_perimeter(4)": { code: { text: "sixteen", right: false }, "code+text": { text: "16", right: true }, "code+text+examples": { text: "[16]", right: false } },
};

function predictionScript(body: Record<string, unknown>): ScriptedAnswer {
  const prompt = String(body.prompt);
  const call = /\n>>> (.*)\n$/.exec(prompt)?.[1] ?? "";
  const variant = (prompt.match(/^>>> /gm) ?? []).length > 1 ? "code+text+examples" : prompt.startsWith("# ") ? "code+text" : "code";
  const answer = PREDICTIONS[call]?.[variant];
  if (!answer) return { text: "", status: 500, error: `the test double has no prediction for ${call} (${variant})` };
  // Models go on writing: the stop strings end the answer at the next prompt.
  return { text: `${answer.text}\n>>> print("more")\n` };
}

test.describe("execution prediction", () => {
  let server: OpenAITestDouble;
  test.afterEach(() => server.close());

  test("scripted right and wrong answers give the exact accuracy overall and per prompt variant", async ({ page }) => {
    server = await startOpenAITestDouble({ cors: true, models: [MODEL], script: predictionScript });
    await loadTestDouble(page, server);
    await page.getByRole("link", { name: "Predict", exact: true }).click();
    await expect(page.getByRole("heading", { name: "Execution prediction" })).toBeVisible();
    await page.getByTestId("predict-tasks").fill("11, 17");
    for (const v of ["code", "code+text", "code+text+examples"]) await expect(page.getByTestId(`predict-variant-${v}`)).toBeChecked();
    await expect(page.getByTestId("predict-form")).toHaveValue("completion");
    await page.getByTestId("predict-start").click();
    await expect(page).toHaveURL(/#\/predict\/[0-9a-f-]{36}$/);

    await expect(page.getByTestId("predict-status")).toHaveAttribute("data-status", "done", { timeout: 90_000 });
    const row = (id: string) => page.getByTestId(id).locator("td");
    // code: 4/6, code+text: 5/6, with examples: 5/6; 14 of 18 overall.
    await expect(row("accuracy-code")).toHaveText(["Code only", "4", "6", "66.7 %"]);
    await expect(row("accuracy-code+text")).toHaveText(["Code + description", "5", "6", "83.3 %"]);
    await expect(row("accuracy-code+text+examples")).toHaveText(["Code + description + examples", "5", "6", "83.3 %"]);
    await expect(row("accuracy-overall")).toHaveText(["14", "18", "77.8 %"]);

    const samples = page.getByTestId("predict-sample");
    await expect(samples).toHaveCount(18);
    const expected = Object.values(PREDICTIONS).flatMap((byVariant) => Object.values(byVariant));
    expect(expected.filter((a) => a.right)).toHaveLength(14);
    const rightCount = await page.locator('[data-testid="predict-sample"][data-outcome="right"]').count();
    const wrongCount = await page.locator('[data-testid="predict-sample"][data-outcome="wrong"]').count();
    expect([rightCount, wrongCount]).toEqual([14, 4]);
    // The truth is what running the call printed; the unparsable answer was compared as text.
    const sixteen = samples.filter({ hasText: "sixteen" });
    await expect(sixteen).toHaveCount(1);
    await expect(sixteen.locator("td")).toHaveText(["17", "Code only", "square_perimeter(4)", "16", "sixteen", "wrong", "text"]);
    const bcd = samples.filter({ hasText: 'remove_Occ("abcda","a")' }).first();
    await expect(bcd.locator("td").nth(3)).toHaveText("'bcd'");
    await expect(bcd).toHaveAttribute("data-outcome", "right");
    expect(server.generationBodies()).toHaveLength(18);
    expect(server.generationBodies().every((b) => JSON.stringify(b.stop) === JSON.stringify(["\n>>>", "\n\n"]))).toBe(true);

    // Stored: the list shows the same numbers after a reload.
    await page.reload();
    await expect(row("accuracy-overall")).toHaveText(["14", "18", "77.8 %"]);
    await page.getByRole("link", { name: "All prediction runs" }).click();
    await expect(page.getByTestId("predict-row")).toHaveAttribute("data-status", "done");
    await expect(page.getByTestId("predict-row").locator("td")).toHaveText([/.+/, MODEL, "2", "done", "77.8 %", "66.7 %", "83.3 %", "83.3 %", "Delete"]);
    page.once("dialog", (d) => void d.accept());
    await page.getByTestId("delete-prediction").click();
    await expect(page.getByTestId("predict-row")).toHaveCount(0);
    await page.reload();
    await expect(page.getByRole("heading", { name: "Execution prediction" })).toBeVisible();
    await expect(page.getByTestId("predict-row")).toHaveCount(0);
  });
});

test.describe("MathQA-Python run", () => {
  test("replaying the dataset's reference programs through New run scores 100 % on all 1,894 problems", async ({ page }) => {
    test.setTimeout(300_000);
    await page.goto("./#/engines");
    await page.getByTestId("choice-replay").check();
    await page.getByTestId("replay-mode-reference").check();
    await page.getByTestId("replay-dataset").selectOption("mathqa-python");
    await expect(page.getByTestId("replay-summary")).toContainText("1,894 sample(s) for 1894 task(s) of MathQA-Python");
    await page.getByTestId("load").click();
    await expect(page.getByTestId("current-engine")).toContainText("replay:reference:mathqa-python");

    await page.getByRole("link", { name: "Runs", exact: true }).click();
    await page.getByTestId("new-run-link").click();
    await page.getByTestId("run-dataset").selectOption("mathqa-python");
    await expect(page.getByTestId("run-split")).toHaveValue("test");
    // The dataset brings the paper's MathQA prompt: solved problems (comment, program ending in
    // `answer = …`) before the asked problem's comment; no tests are shown.
    await expect(page.getByTestId("run-template")).toHaveValue("mathqa");
    await expect(page.getByTestId("run-tests-shown")).toHaveCount(0);
    const preview = page.getByTestId("prompt-preview");
    await expect(preview).toContainText("# a shopkeeper sold an article offering a discount of 5 %");
    await expect(preview).toContainText("answer = ");
    expect((await preview.textContent())?.match(/answer = /g)?.length).toBe(3);
    await page.getByTestId("run-name").fill("mathqa gold replay");
    await page.getByTestId("start-run").click();
    await expect(page.getByTestId("run-page")).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId("run-status")).toHaveText("done", { timeout: 240_000 });
    await expect(page.getByTestId("summary-samples")).toHaveText("1,894 / 1,894");
    await expect(page.getByTestId("summary-solved")).toHaveText("100.00 %");
    await expect(page.getByTestId("passk-row")).toHaveText(["1100.00 %"]);
  });
});
