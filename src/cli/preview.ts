// The built site in headless Chromium, for the gold check and the benchmark: `vite build` into a
// folder of the caller's, `vite preview` on the caller's port, Debian's Chromium through
// Playwright, and the page's console API (`globalThis.playground`, src/devtools.ts).
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "@playwright/test";

export class PreviewError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PreviewError";
  }
}

export interface Preview {
  url: string;
  close(): Promise<void>;
}

function exec(root: string, cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(root, "node_modules", ".bin", cmd), args, { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new PreviewError(`${cmd} ${args.join(" ")} exited with code ${code}`))));
  });
}

/** Builds the site into `outDir` and serves it on `port` (which must be free). */
export async function startPreview(root: string, outDir: string, port: number, log: (msg: string) => void): Promise<Preview> {
  log(`building the site into ${outDir}`);
  await exec(root, "vite", ["build", "--outDir", outDir, "--emptyOutDir", "--logLevel", "warn"]);
  const child: ChildProcess = spawn(join(root, "node_modules", ".bin", "vite"), ["preview", "--outDir", outDir, "--port", String(port), "--strictPort"], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const url = `http://localhost:${port}/`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const gone = await Promise.race([exited, new Promise<"running">((r) => setTimeout(() => r("running"), 250))]);
    if (gone !== "running") throw new PreviewError(`vite preview on port ${port} exited (code ${gone}): ${output.trim() || "no output"}. Is the port taken?`);
    try {
      if ((await fetch(url)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill();
      throw new PreviewError(`vite preview did not answer on ${url} within 30 s: ${output.trim()}`);
    }
  }
  log(`serving ${url}`);
  return {
    url,
    async close() {
      if (child.exitCode === null) {
        child.kill();
        await exited;
      }
    },
  };
}

export interface PlaygroundPage {
  browser: Browser;
  page: Page;
  /** Console errors and page errors seen so far. */
  errors: string[];
  close(): Promise<void>;
}

/** Debian's Chromium (Playwright never downloads one here) on the preview, with `playground` ready. */
export async function openPlayground(url: string): Promise<PlaygroundPage> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--disable-quic", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
  });
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForFunction(() => typeof globalThis.playground === "object", undefined, { timeout: 30_000 });
  const isolated = await page.evaluate(() => globalThis.crossOriginIsolated);
  if (!isolated) throw new PreviewError(`${url} is not cross-origin isolated: the pool cannot interrupt programs (check vite.config.ts preview headers)`);
  return { browser, page, errors, close: () => browser.close() };
}
