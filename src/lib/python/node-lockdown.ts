import { createRequire, syncBuiltinESMExports } from "node:module";
import * as childProcess from "node:child_process";

/**
 * In Node, Pyodide reaches the host: Emscripten's `system()` spawns a real shell, its sockets are
 * real WebSockets, and with the JS bridge anything `process` can do is one step away. A sandbox
 * worker thread calls this once Pyodide has loaded, before any generated code runs. It is the
 * in-thread half; the headless evaluator also runs under Node's permission model (no child
 * processes, file access only to the project and a scratch folder): see scripts/eval.mjs.
 */
const DENIED_MODULES = [
  "child_process", "cluster", "dgram", "dns", "http", "http2", "https", "inspector", "net", "tls",
  "worker_threads", "ws", "undici", "fs", "fs/promises", "v8", "vm", "wasi", "repl", "trace_events",
];

export class CapabilityDeniedError extends Error {
  constructor(what: string) {
    super(`${what} is not available to programs in the Python sandbox`);
    this.name = "CapabilityDeniedError";
  }
}

const deny = (what: string) => () => {
  throw new CapabilityDeniedError(what);
};

export function lockDownNodeWorker(): void {
  // Child processes: the module object Emscripten's system() requires at call time.
  const cp = childProcess as unknown as Record<string, unknown>;
  for (const fn of ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"]) {
    try {
      cp[fn] = deny(`child_process.${fn}`);
    } catch {
      /* read-only namespace binding: the CJS object below is what require() returns */
    }
  }
  const require = createRequire(import.meta.url);
  const cjsCp = require("node:child_process") as Record<string, unknown>;
  for (const fn of ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"]) cjsCp[fn] = deny(`child_process.${fn}`);
  syncBuiltinESMExports();

  // Any later require() of a host module (Emscripten requires "ws" for sockets at connect time).
  const Module = require("node:module") as { _load: (request: string, ...rest: unknown[]) => unknown };
  const load = Module._load;
  Module._load = function (request: string, ...rest: unknown[]) {
    const bare = request.replace(/^node:/, "");
    if (DENIED_MODULES.includes(bare)) throw new CapabilityDeniedError(`require("${request}")`);
    return load.call(this, request, ...rest);
  };

  // Network and module loading from globalThis (what `import js` would expose).
  const g = globalThis as Record<string, unknown>;
  for (const name of ["fetch", "WebSocket", "EventSource", "XMLHttpRequest", "Request", "Response", "require", "BroadcastChannel", "Worker"]) {
    delete g[name];
  }

  // process: signals to other processes, native addons, internal bindings, builtin modules.
  const proc = process as unknown as Record<string, unknown>;
  for (const name of ["kill", "_kill", "dlopen", "binding", "_linkedBinding", "getBuiltinModule", "setuid", "setgid", "chdir", "abort", "reallyExit"]) {
    try {
      proc[name] = deny(`process.${name}`);
    } catch {
      /* not present in this Node version */
    }
  }
}
