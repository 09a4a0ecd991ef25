import { test as base, expect, type Page } from "@playwright/test";

/**
 * Every e2e test fails if the page logs a console error or throws: "the first page load prints
 * no errors" holds for every page we visit, not just one.
 */
export const test = base.extend<{ consoleErrors: string[] }>({
  consoleErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      page.on("pageerror", (e) => errors.push(`uncaught: ${e.message}`));
      await use(errors);
      expect(errors, "console errors on the page").toEqual([]);
    },
    { auto: true },
  ],
});
export { expect };

/** Replaces the CodeMirror document without the editor's auto-indent touching the text. */
export async function setEditor(page: Page, code: string): Promise<void> {
  const content = page.getByTestId("code-editor").locator(".cm-content");
  await content.click();
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(code);
}
