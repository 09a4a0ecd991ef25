import type { VerdictKind } from "../../src/lib/python/types.ts";

/**
 * Programs that try to hang, exhaust, break out of or poison the Python sandbox. The same corpus
 * runs in Node (tests/unit/sandbox.test.ts) and in Chromium (tests/e2e/sandbox.spec.ts); after
 * each one the CANARY must pass, which shows the next program starts clean.
 */
export interface HostileProgram {
  name: string;
  code: string;
  /** Verdict kinds that count as contained (never "passed" unless the program is harmless). */
  expect: VerdictKind[];
  /** Where it applies (a JS-bridge escape differs between a browser worker and Node). */
  env?: "browser" | "node";
  /** A substring the verdict's error type or message must contain. */
  error?: string;
}

/** Short, so the corpus runs quickly: runaways cost this plus the interrupt grace. */
export const HOSTILE_TIMEOUT_MS = 2000;

// Reaches the JS bridge without importing it: Pyodide's import hook keeps the `js` proxy (the
// worker's globalThis) in a dict on its finder, which any program can walk to.
const JS = `import sys, gc
def _js():
    for f in list(sys.meta_path) + [o for o in gc.get_objects() if hasattr(o, "find_spec")]:
        p = getattr(f, "jsproxies", None)
        if p and "js" in p:
            return p["js"]
    raise LookupError("no JS bridge found")
js = _js()
`;

export const HOSTILE_PROGRAMS: HostileProgram[] = [
  // Loops of every kind.
  { name: "while True", code: "while True:\n    pass", expect: ["timeout"] },
  { name: "for over iter(int, 1)", code: "for _ in iter(int, 1):\n    pass", expect: ["timeout"] },
  { name: "itertools.count", code: "import itertools\nfor _ in itertools.count():\n    pass", expect: ["timeout"] },
  { name: "counting loop", code: "x = 0\nwhile x >= 0:\n    x += 1", expect: ["timeout"] },
  { name: "time.sleep(60)", code: "import time\ntime.sleep(60)", expect: ["timeout"] },
  { name: "C-level loop sum(range(10**12))", code: "sum(range(10**12))", expect: ["timeout"] },
  { name: "huge power 7**(10**8)", code: "x = 7 ** (10 ** 8)", expect: ["timeout"] },
  { name: "KeyboardInterrupt catcher", code: "while True:\n    try:\n        while True:\n            pass\n    except KeyboardInterrupt:\n        pass", expect: ["timeout"] },
  { name: "BaseException catcher", code: "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass", expect: ["timeout"] },
  { name: "bare except in a test loop", code: "def f():\n    while True:\n        try:\n            sum(range(10**6))\n        except:\n            pass\nf()", expect: ["timeout"] },
  { name: "raise KeyboardInterrupt itself", code: "raise KeyboardInterrupt('not a timeout')", expect: ["error"], error: "KeyboardInterrupt" },
  // Recursion.
  { name: "unbounded recursion", code: "def f(n):\n    return f(n + 1)\nf(0)", expect: ["resource"], error: "Recursion" },
  { name: "recursion after setrecursionlimit(10**6)", code: "import sys\nsys.setrecursionlimit(10**6)\ndef f(n):\n    return f(n + 1)\nf(0)", expect: ["resource"], error: "Recursion" },
  { name: "recursion through lru_cache", code: "import functools\n@functools.lru_cache(None)\ndef f(n):\n    return 0 if n == 0 else f(n - 1) + 1\nf(100000)", expect: ["resource"], error: "Recursion" },
  { name: "recursion through sorted(key=)", code: "def f(n):\n    return sorted([1, 2], key=lambda x: f(n + 1))\nf(0)", expect: ["resource"], error: "Recursion" },
  { name: "recursion in __repr__", code: "class A:\n    def __repr__(self):\n        return repr(self)\nrepr(A())", expect: ["resource"], error: "Recursion" },
  // Memory.
  { name: "list of 2**29 (4 GiB of pointers)", code: "x = [0] * (2 ** 29)", expect: ["resource"], error: "MemoryError" },
  { name: "list of 10**9, grown", code: "x = [None] * (10 ** 9)", expect: ["resource", "timeout"] },
  // WebAssembly is 32-bit: as on a 32-bit CPython, this size does not fit an index.
  { name: "bytearray of 4 GiB", code: "x = bytearray(2 ** 32 - 1)", expect: ["error", "resource"] },
  { name: "string of 2**40", code: "x = 'x' * (2 ** 40)", expect: ["resource", "error"] },
  { name: "doubling list", code: "x = [1]\nwhile True:\n    x = x + x", expect: ["resource", "timeout"] },
  // Output floods.
  { name: "print flood", code: "while True:\n    print('x' * 1000)", expect: ["resource"], error: "Output" },
  { name: "one huge print", code: "print('x' * 10 ** 7)", expect: ["resource"], error: "Output" },
  { name: "stderr flood", code: "import sys\nwhile True:\n    sys.stderr.write('e' * 4096)", expect: ["resource"], error: "Output" },
  { name: "flood that catches the limit", code: "while True:\n    try:\n        print('y' * 10 ** 6)\n    except BaseException:\n        pass", expect: ["timeout", "resource"] },
  // Exits.
  { name: "sys.exit(0)", code: "import sys\nsys.exit(0)", expect: ["error"], error: "SystemExit" },
  { name: "os._exit(0)", code: "import os\nos._exit(0)", expect: ["error"], error: "SystemExit" },
  { name: "quit()", code: "quit()", expect: ["error"], error: "SystemExit" },
  { name: "exit(3)", code: "exit(3)", expect: ["error"], error: "SystemExit" },
  { name: "os.abort()", code: "import os\nos.abort()", expect: ["error"], error: "SystemExit" },
  { name: "input()", code: "x = input('name? ')", expect: ["error"], error: "EOFError" },
  // Tampering (the canary checks each is undone).
  { name: "builtins.print and len replaced", code: "import builtins\nbuiltins.print = None\nbuiltins.len = lambda x: 0\nleak = 1", expect: ["passed"] },
  { name: "builtins deleted", code: "import builtins\ndel builtins.len\ndel builtins.isinstance\nleak = 1", expect: ["passed"] },
  { name: "sys.modules poisoned", code: "import sys\nsys.modules['math'] = None\nsys.modules['json'] = 42\nleak = 1", expect: ["passed"] },
  { name: "stdlib monkeypatch", code: "import math, os.path\nmath.pi = 3\nmath.sqrt = lambda x: -1\nos.path.join = None", expect: ["passed"] },
  { name: "sys.stdout replaced", code: "import sys, io\nsys.stdout = None\nsys.stderr = io.StringIO()", expect: ["passed"] },
  { name: "recursion limit lowered", code: "import sys\nsys.setrecursionlimit(50)", expect: ["passed"] },
  { name: "environ, path and meta_path", code: "import os, sys\nos.environ['X_SP'] = '1'\nsys.path.insert(0, '/tmp')\nsys.meta_path.clear()", expect: ["passed"] },
  { name: "trace and profile hooks", code: "import sys\nsys.settrace(lambda *a: None)\nsys.setprofile(lambda *a: None)", expect: ["passed"] },
  { name: "AssertionError replaced", code: "import builtins\nbuiltins.AssertionError = Exception\nassert 1 == 2", expect: ["failed"] },
  { name: "sandbox's setrecursionlimit unwrapped", code: "import sys\nreal = sys.setrecursionlimit.__closure__[0].cell_contents\nreal(100000)\ndef f(n):\n    return f(n + 1)\nf(0)", expect: ["resource", "error", "timeout"] },
  // The JS bridge, by import.
  { name: "import js", code: "import js\njs.fetch('http://127.0.0.1:9/leak')", expect: ["error"], error: "not allowed" },
  { name: "import pyodide_js", code: "import pyodide_js", expect: ["error"], error: "not allowed" },
  { name: "from pyodide.code import run_js", code: "from pyodide.code import run_js\nrun_js('1')", expect: ["error"], error: "not allowed" },
  { name: "from pyodide.ffi import to_js", code: "from pyodide.ffi import to_js", expect: ["error"], error: "not allowed" },
  { name: "import _pyodide_core", code: "import _pyodide_core", expect: ["error"], error: "not allowed" },
  // The JS bridge, reached anyway (gc), then every capability it could use.
  { name: "pyodide.code.run_js via gc", code: "import gc\nrun_js = next(o['run_js'] for o in gc.get_objects() if isinstance(o, dict) and callable(o.get('run_js')))\nrun_js(\"fetch('http://127.0.0.1:9/leak')\")", expect: ["error"] },
  { name: "js.fetch", code: `${JS}js.fetch("http://127.0.0.1:9/leak")`, expect: ["error"], error: "AttributeError: fetch" },
  { name: "constructor chain to globalThis.fetch", code: `${JS}g = js.Object.constructor("return globalThis")()\ng.fetch("http://127.0.0.1:9/leak")`, expect: ["error"] },
  { name: "js.eval of a dynamic import", code: `${JS}js.eval("import('http://127.0.0.1:9/leak.js')")`, expect: ["error"], error: "Content Security Policy", env: "browser" },
  { name: "js.XMLHttpRequest", code: `${JS}js.XMLHttpRequest.new()`, expect: ["error"], error: "AttributeError: XMLHttpRequest" },
  { name: "js.WebSocket", code: `${JS}js.WebSocket.new("ws://127.0.0.1:9/")`, expect: ["error"], error: "AttributeError: WebSocket" },
  { name: "js.EventSource", code: `${JS}js.EventSource.new("http://127.0.0.1:9/")`, expect: ["error"], error: "AttributeError: EventSource" },
  { name: "js.indexedDB", code: `${JS}js.indexedDB.deleteDatabase("sp-canary")`, expect: ["error"], error: "AttributeError: indexedDB", env: "browser" },
  { name: "IDBFactory through a prototype", code: `${JS}js.IDBFactory.prototype.open.call(js.indexedDB, "sp-canary")`, expect: ["error"], env: "browser" },
  { name: "js.caches", code: `${JS}js.caches.delete("webllm/model")`, expect: ["error"], error: "AttributeError: caches", env: "browser" },
  { name: "js.navigator.storage", code: `${JS}js.navigator.storage.estimate()`, expect: ["error"], env: "browser" },
  { name: "postMessage to the page", code: `${JS}js.postMessage(js.Object.new())`, expect: ["error"], error: "AttributeError: postMessage", env: "browser" },
  { name: "self.postMessage through the prototype", code: `${JS}js.Object.getPrototypeOf(js.self).postMessage.call(js.self, 1)`, expect: ["error"], env: "browser" },
  { name: "js.importScripts", code: `${JS}js.importScripts("http://127.0.0.1:9/x.js")`, expect: ["error"], error: "AttributeError: importScripts", env: "browser" },
  { name: "js.Worker", code: `${JS}js.Worker.new("data:text/javascript,1")`, expect: ["error"], error: "AttributeError: Worker", env: "browser" },
  { name: "js.BroadcastChannel", code: `${JS}js.BroadcastChannel.new("sp").postMessage(1)`, expect: ["error"], error: "AttributeError: BroadcastChannel", env: "browser" },
  { name: "close the worker", code: `${JS}js.close()`, expect: ["error"], error: "AttributeError: close", env: "browser" },
  // Node: the host itself.
  { name: "os.system", code: "import os\nos.system('touch /tmp/sp-hostile-marker')", expect: ["error"], error: "not available", env: "node" },
  { name: "subprocess.run", code: "import subprocess\nsubprocess.run(['touch', '/tmp/sp-hostile-marker'])", expect: ["error"], env: "node" },
  { name: "read a host file", code: "print(open('/etc/passwd').read())", expect: ["error"], error: "FileNotFoundError", env: "node" },
  { name: "socket to localhost", code: "import socket\ns = socket.create_connection(('127.0.0.1', 9), timeout=1)", expect: ["error"], env: "node" },
  { name: "js.process.kill", code: `${JS}js.process.kill(js.process.pid)`, expect: ["error"], env: "node" },
  { name: "js.require child_process", code: `${JS}js.require("child_process").execSync("touch /tmp/sp-hostile-marker")`, expect: ["error"], env: "node" },
  { name: "js.process.getBuiltinModule fs", code: `${JS}js.process.getBuiltinModule("fs").writeFileSync("/tmp/sp-hostile-marker", "x")`, expect: ["error"], env: "node" },
  { name: "js.process.binding spawn_sync", code: `${JS}js.process.binding("spawn_sync")`, expect: ["error"], env: "node" },
  { name: "js.eval of require in Node", code: `${JS}js.eval("globalThis.process.mainModule.require('child_process').execSync('touch /tmp/sp-hostile-marker')")`, expect: ["error"], env: "node" },
];

/** Runs after every hostile program: passes only in a clean interpreter. */
export const CANARY = `import math, sys, os, builtins, json
assert math.pi > 3.14 and math.sqrt(4) == 2.0, "math was left patched"
assert os.path.join("a", "b") == "a/b", "os.path was left patched"
assert sys.getrecursionlimit() == 1000, "recursion limit was left at %d" % sys.getrecursionlimit()
assert builtins.len([1, 2]) == 2 and isinstance(1, int), "builtins were left patched"
assert "leak" not in globals(), "a global leaked from an earlier program"
assert "X_SP" not in os.environ and sys.path[0] != "/tmp", "environ or sys.path was left changed"
assert sys.gettrace() is None and sys.getprofile() is None, "a trace hook was left installed"
assert json.dumps([1]) == "[1]"
def depth(n):
    return 0 if n == 0 else depth(n - 1) + 1
assert depth(500) == 500
print("clean")
`;
