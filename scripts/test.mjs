#!/usr/bin/env node
// `npm test`: every check, in the order that fails fastest and cheapest.
//   1. set-up is in place (datasets verified, Pyodide files copied)
//   2. lint (eslint)            3. types (svelte-check, strict TS)
//   4. unit tests (vitest in Node, Pyodide for real)
//   5. end-to-end tests (Playwright driving Debian's /usr/bin/chromium against the built site)
// All steps run even when one fails, so one run shows every problem; the exit code is non-zero
// if any failed. `npm test -- --only unit,e2e` runs a subset.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const onlyArg = process.argv.indexOf("--only");
const only = onlyArg > 0 ? new Set(process.argv[onlyArg + 1]?.split(",")) : null;

function run(cmd, args, env = {}) {
  return new Promise((resolveRun) => {
    const child = spawn(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
    child.on("exit", (code, signal) => resolveRun(code ?? (signal ? 1 : 0)));
    child.on("error", (e) => {
      console.error(`could not start ${cmd}: ${e.message}`);
      resolveRun(1);
    });
  });
}

const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const scratch = mkdtempSync(join(tmpdir(), "sp-test-"));
const unitJson = join(scratch, "vitest.json");
const e2eJson = join(scratch, "playwright.json");

function vitestCounts() {
  if (!existsSync(unitJson)) return "";
  const r = JSON.parse(readFileSync(unitJson, "utf8"));
  return `${r.numPassedTests} passed, ${r.numFailedTests} failed${r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""}`;
}
function playwrightCounts() {
  if (!existsSync(e2eJson)) return "";
  const s = JSON.parse(readFileSync(e2eJson, "utf8")).stats ?? {};
  return `${s.expected ?? 0} passed, ${(s.unexpected ?? 0) + (s.flaky ?? 0)} failed${s.skipped ? `, ${s.skipped} skipped` : ""}`;
}

const steps = [
  { name: "setup", run: () => run(process.execPath, [join(root, "scripts/setup.mjs"), "--quiet"]) },
  { name: "lint", run: () => run(bin("eslint"), ["."]) },
  { name: "types", run: () => run(bin("svelte-check"), ["--tsconfig", "./tsconfig.json", "--fail-on-warnings", "--output", "human"]) },
  {
    name: "unit",
    run: () => run(bin("vitest"), ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${unitJson}`]),
    counts: vitestCounts,
  },
  {
    name: "e2e",
    run: () => {
      if (!existsSync(chromium)) {
        console.error(`${chromium} is missing. Install Debian's Chromium (sudo apt-get install -y chromium) or set CHROMIUM_PATH; .ci/run does this.`);
        return Promise.resolve(1);
      }
      return run(bin("playwright"), ["test"], { PW_JSON: e2eJson });
    },
    counts: playwrightCounts,
  },
];

const results = [];
const started = Date.now();
for (const step of steps) {
  if (only && !only.has(step.name) && step.name !== "setup") continue;
  console.log(`\n━━ ${step.name} ━━`);
  const t0 = Date.now();
  const code = await step.run();
  results.push({ name: step.name, ok: code === 0, secs: (Date.now() - t0) / 1000, counts: step.counts?.() ?? "" });
  if (step.name === "setup" && code !== 0) break;
}
rmSync(scratch, { recursive: true, force: true });

console.log("\n━━ summary ━━");
for (const r of results) {
  console.log(`${r.ok ? "PASS" : "FAIL"}  ${r.name.padEnd(6)} ${r.secs.toFixed(1).padStart(6)} s  ${r.counts}`);
}
console.log(`total ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
