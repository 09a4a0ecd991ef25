/// <reference lib="webworker" />
// The Python sandbox in the browser: one Pyodide interpreter, nothing privileged. The page sends
// one MessagePort first; the worker serves its API (comlink) on that port only, then — once
// Pyodide has fetched its files — deletes its own network, storage and messaging capabilities
// (src/lib/python/lockdown.ts) before any generated code runs.
import * as Comlink from "comlink";
import { loadPyodide } from "pyodide";
import { lockDownBrowserWorker } from "../src/lib/python/lockdown.ts";
import { createSandboxWorker } from "../src/lib/python/worker-core.ts";

// public/pyodide/ sits one level above both the built worker (assets/) and its source (workers/).
// Resolved at run time on purpose (the files are copied by set-up, not bundled), hence @vite-ignore.
const indexURL = new URL(/* @vite-ignore */ "../pyodide/", import.meta.url).href;

// A program that overflows the stack makes Pyodide report a fatal error on the console; the
// pool already replaces the worker and the verdict says so, so that report is only a diagnostic.
const report = console.debug.bind(console);
console.error = (...args: unknown[]) => report("[python sandbox]", ...args);

const api = createSandboxWorker(
  (opts) => loadPyodide({ indexURL, ...opts }),
  () => lockDownBrowserWorker(),
  () => performance.now(),
);

self.addEventListener(
  "message",
  (e: MessageEvent<{ port?: MessagePort }>) => {
    const port = e.data?.port;
    if (port) Comlink.expose(api, port);
  },
  { once: true },
);
