// The headless evaluator end to end: `node scripts/eval.mjs` as a child process, as `npm run eval`
// runs it, on samples files that mix reference solutions with programs trying to reach the host.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseHumanEvalJsonl, parseMbppJsonl } from "../../src/lib/tasks/formats.ts";
import type { Task } from "../../src/lib/tasks/types.ts";
import type { VerdictLine } from "../../src/cli/eval.ts";
import { datasetText, repoRoot } from "../support/datasets.ts";

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function runNode(args: string[], env: Record<string, string> = {}, cwd = repoRoot): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd, env: { ...process.env, ...env }, timeout: 170_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
const evalCli = (args: string[], env: Record<string, string> = {}, cwd = repoRoot) => runNode([join(repoRoot, "scripts", "eval.mjs"), ...args], env, cwd);

const readVerdicts = (file: string): VerdictLine[] =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as VerdictLine);

// Evaluator runs are slow (Pyodide starts in ~4 s, plus the programs that must time out).
const SLOW = 180_000;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sp-eval-cli-test-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("refusals", () => {
  it("the evaluator will not run outside the permission model", async () => {
    const r = await runNode(["--import", "tsx", join(repoRoot, "src", "cli", "eval.ts"), "x.jsonl", "--dataset", "mbpp"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("UnsandboxedError");
    expect(r.stderr).toContain("permission model is not active");
  });

  it("usage errors name the problem and exit 2", async () => {
    const file = join(dir, "usage.jsonl");
    writeFileSync(file, `{"task_id": "11", "completion": "x = 1"}\n`);
    const noDataset = await evalCli([file]);
    expect(noDataset.code).toBe(2);
    expect(noDataset.stderr).toContain("--dataset is required");
    const badK = await evalCli([file, "--dataset", "mbpp", "--k", "1,zero"]);
    expect(badK.code).toBe(2);
    expect(badK.stderr).toContain("--k takes whole numbers");
    const missing = await evalCli([join(dir, "nope.jsonl"), "--dataset", "mbpp"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("does not exist");
  });

  it("a malformed samples file (named relative to the caller's folder) is refused with its line number", async () => {
    const file = join(dir, "bad.jsonl");
    writeFileSync(file, `{"task_id": "11", "completion": "x = 1"}\n{"task_id": "12"}\n`);
    const r = await evalCli(["bad.jsonl", "--dataset", "mbpp"], { npm_lifecycle_event: "" }, dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("line 2");
    expect(existsSync(`${file}.verdicts.jsonl`)).toBe(false);
  });
});

describe("hostile samples under the permission model", () => {
  let server: Server;
  let port = 0;
  let connections = 0;
  let result: CliResult;
  let verdicts: VerdictLine[];
  let samples: { name: string; taskId: string; code: string; expect: VerdictLine["kind"][]; error?: string }[];
  const marker = () => join(dir, "marker");
  const repoFile = join(repoRoot, "sp-eval-escape.txt");
  const memfsOnly = () => join(dir, "memfs-only.txt");

  beforeAll(async () => {
    server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
    const mbpp = parseMbppJsonl(datasetText("mbpp.jsonl"));
    const task = (id: string): Task => mbpp.find((t) => t.id === id)!;
    // Reaches the JS bridge without importing it (see tests/support/hostile.ts).
    const runJs = `import gc, types
def _find():
    for o in gc.get_objects():
        if isinstance(o, types.ModuleType) and o.__name__ == "pyodide.code":
            return o.run_js
    for o in gc.get_objects():
        if isinstance(o, dict) and "run_js" in o and callable(o["run_js"]):
            return o["run_js"]
    raise LookupError("no JS bridge found")
run_js = _find()
`;
    const m = JSON.stringify(marker());
    samples = [
      { name: "reference 11", taskId: "11", code: task("11").reference, expect: ["passed"] },
      { name: "os.system", taskId: "11", code: `import os\nos.system("touch " + ${m})`, expect: ["error"], error: "not available" },
      { name: "subprocess.run", taskId: "12", code: `import subprocess\nsubprocess.run(["touch", ${m}])`, expect: ["error"] },
      { name: "os.fork", taskId: "12", code: "import os\nos.fork()", expect: ["error"] },
      { name: "read /etc/passwd", taskId: "13", code: "print(open('/etc/passwd').read())", expect: ["error"], error: "FileNotFoundError" },
      { name: "write into the repository", taskId: "13", code: `import os\nos.makedirs(${JSON.stringify(repoRoot)}, exist_ok=True)\nopen(${JSON.stringify(repoFile)}, "w").write("escaped")\nraise SystemError("wrote: " + str(os.path.exists(${JSON.stringify(repoFile)})))`, expect: ["error"], error: "SystemError" },
      { name: "write a host temp file", taskId: "14", code: `import os\nos.makedirs(${JSON.stringify(dir)}, exist_ok=True)\nopen(${JSON.stringify(memfsOnly())}, "w").write("x")\nraise SystemError("wrote")`, expect: ["error"], error: "SystemError" },
      { name: "socket to the test's server", taskId: "14", code: `import socket\nsocket.create_connection(("127.0.0.1", ${port}), timeout=1)`, expect: ["error"] },
      { name: "urllib to the test's server", taskId: "15", code: `import urllib.request\nurllib.request.urlopen("http://127.0.0.1:${port}/", timeout=1)`, expect: ["error"] },
      { name: "import js", taskId: "15", code: `import js\njs.fetch("http://127.0.0.1:${port}/")`, expect: ["error"], error: "not allowed" },
      { name: "import pyodide_js", taskId: "16", code: "import pyodide_js\npyodide_js.FS.mkdir('/host')", expect: ["error"], error: "not allowed" },
      { name: "pyodide.code.run_js", taskId: "16", code: `from pyodide.code import run_js\nrun_js("process.exit(3)")`, expect: ["error"], error: "not allowed" },
      { name: "run_js require child_process", taskId: "17", code: `${runJs}run_js("require('child_process').execSync('touch ${marker()}')")`, expect: ["error"], error: "not allowed" },
      { name: "run_js process.getBuiltinModule fs", taskId: "17", code: `${runJs}run_js("process.getBuiltinModule('fs').writeFileSync('${marker()}', 'x')")`, expect: ["error"], error: "not allowed" },
      { name: "run_js dynamic import of node:net", taskId: "18", code: `${runJs}run_js("import('node:net').then((n) => n.connect(${port}, '127.0.0.1'))")`, expect: ["error"], error: "not allowed" },
      { name: "while True", taskId: "18", code: "while True:\n    pass", expect: ["timeout"] },
      { name: "time.sleep(60)", taskId: "19", code: "import time\ntime.sleep(60)", expect: ["timeout"] },
      { name: "reference 12", taskId: "12", code: task("12").reference, expect: ["passed"] },
      { name: "reference 20", taskId: "20", code: task("20").reference, expect: ["passed"] },
    ];
    const file = join(dir, "hostile.jsonl");
    writeFileSync(file, samples.map((s) => JSON.stringify({ task_id: s.taskId, completion: s.code })).join("\n") + "\n");
    result = await evalCli([file, "--dataset", "mbpp", "--timeout", "2000", "--workers", "1", "--k", "1"]);
    // Lines are in file order; within a task, `sample` counts that task's samples.
    const all = readVerdicts(`${file}.verdicts.jsonl`);
    verdicts = samples.map((s) => {
      const sameTask = samples.filter((x) => x.taskId === s.taskId);
      return all.find((v) => v.task_id === s.taskId && v.sample === sameTask.indexOf(s))!;
    });
  }, SLOW);
  afterAll(() => {
    server.close();
    rmSync(repoFile, { force: true });
  });

  it("runs to the end and prints pass@1", () => {
    expect(result.stderr).not.toContain("Error:");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^pass@1: \d\.\d{4}$/m);
    expect(verdicts.every(Boolean)).toBe(true);
  });

  it("each hostile sample gets the verdict it earns, never passed", () => {
    const got = samples.map((s, i) => ({ name: s.name, kind: verdicts[i]!.kind, ok: s.expect.includes(verdicts[i]!.kind) }));
    expect(got.filter((g) => !g.ok)).toEqual([]);
    samples.forEach((s, i) => {
      if (!s.error) return;
      const v = verdicts[i]!;
      expect(`${v.error?.type}: ${v.error?.message}`, s.name).toContain(s.error);
    });
  });

  it("the reference solutions in the same file still pass", () => {
    const refs = samples.map((s, i) => ({ s, v: verdicts[i]! })).filter(({ s }) => s.name.startsWith("reference"));
    expect(refs.map(({ v }) => v.kind)).toEqual(["passed", "passed", "passed"]);
  });

  it("no process ran, no host file was written, no connection was made", () => {
    expect(existsSync(marker())).toBe(false);
    expect(existsSync(repoFile)).toBe(false);
    expect(existsSync(memfsOnly())).toBe(false);
    expect(connections).toBe(0);
  });

  it("the write into the repository only reached Pyodide's in-memory file system", () => {
    const i = samples.findIndex((s) => s.name === "write into the repository");
    expect(verdicts[i]!.error?.message).toBe("wrote: True");
  });

  it("the scratch folder is removed afterwards", () => {
    const scratch = /\[eval\] scratch folder (\S+) \(removed afterwards\)/.exec(result.stderr)?.[1];
    expect(scratch).toMatch(/sp-eval-/);
    expect(existsSync(scratch!)).toBe(false);
  });
});

describe("pass@k and sample formats", () => {
  it("scores human-eval completions and EvalPlus solutions for HumanEval", async () => {
    const he = parseHumanEvalJsonl(datasetText("HumanEval.jsonl"));
    const [t0, t1] = [he[0]!, he[1]!];
    const lines = [
      { task_id: t0.id, completion: t0.reference },
      { task_id: t0.id, completion: "    return False\n" },
      { task_id: t1.id, solution: `${t1.prompt}${t1.reference}` },
      { task_id: t1.id, solution: "def separate_paren_groups(paren_string):\n    return []\n" },
    ];
    const file = join(dir, "he.jsonl");
    const out = join(dir, "he-out.jsonl");
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
    const r = await evalCli([file, "--dataset", "humaneval", "--k", "1,2,10", "--workers", "1", "--out", out]);
    expect(r.code).toBe(0);
    // Each task: one of two samples passes → pass@1 = 0.5, pass@2 = 1; pass@10 needs 10 samples.
    expect(r.stdout).toContain("pass@1: 0.5000");
    expect(r.stdout).toContain("pass@2: 1.0000");
    expect(r.stdout).toContain("pass@10 not computed");
    const v = readVerdicts(out);
    expect(v.map((x) => [x.task_id, x.sample, x.kind])).toEqual([
      [t0.id, 0, "passed"],
      [t0.id, 1, "failed"],
      [t1.id, 0, "passed"],
      [t1.id, 1, "failed"],
    ]);
    expect(v.every((x) => x.timeout_ms === 30_000)).toBe(true);
  }, SLOW);
});
