/**
 * Takes away, from a browser Web Worker, every capability generated code could use to reach the
 * app's data or the network: Pyodide's JS bridge (`import js`, `pyodide.code.run_js`, constructor
 * chains to `globalThis`) cannot be closed reliably from Python, so the capabilities themselves go.
 * Each name is deleted from the global object and from every prototype on its chain (the Web IDL
 * attributes and operations live on WorkerGlobalScope.prototype and friends, not on `self`).
 * The worker talks to the page only through a MessagePort held in a closure, so `postMessage`
 * goes too.
 */
export const BROWSER_CAPABILITIES = [
  "fetch",
  "XMLHttpRequest",
  "WebSocket",
  "WebSocketStream",
  "WebTransport",
  "EventSource",
  "indexedDB",
  "IDBFactory",
  "caches",
  "CacheStorage",
  "importScripts",
  "Worker",
  "SharedWorker",
  "BroadcastChannel",
  "postMessage",
  "close",
  "RTCPeerConnection",
  "RTCDataChannel",
  "FileSystemHandle",
  "FileSystemDirectoryHandle",
  "FileSystemFileHandle",
  "FileSystemSyncAccessHandle",
  "StorageManager",
  "Notification",
  "ServiceWorkerRegistration",
  "CookieStore",
  "cookieStore",
  "Request",
  "Response",
] as const;

/** Properties of `navigator` (WorkerNavigator) that reach storage, devices or the network. */
export const NAVIGATOR_CAPABILITIES = ["storage", "serviceWorker", "locks", "sendBeacon", "gpu", "usb", "serial", "hid", "bluetooth", "permissions", "mediaCapabilities"] as const;

function deleteEverywhere(target: object | null, name: string): void {
  for (let o = target; o; o = Object.getPrototypeOf(o) as object | null) {
    const d = Object.getOwnPropertyDescriptor(o, name);
    if (!d) continue;
    if (d.configurable) Reflect.deleteProperty(o, name);
    else if (d.writable) (o as Record<string, unknown>)[name] = undefined;
  }
}

export function lockDownBrowserWorker(scope: typeof globalThis = globalThis): void {
  for (const name of BROWSER_CAPABILITIES) deleteEverywhere(scope, name);
  const nav = (scope as { navigator?: object }).navigator;
  if (nav) for (const name of NAVIGATOR_CAPABILITIES) deleteEverywhere(nav, name);
}

/** What is still reachable after the lockdown (empty when it worked); the tests check this. */
export function remainingCapabilities(scope: typeof globalThis = globalThis): string[] {
  const left: string[] = BROWSER_CAPABILITIES.filter((n) => (scope as Record<string, unknown>)[n] !== undefined);
  const nav = (scope as unknown as { navigator?: Record<string, unknown> }).navigator;
  if (nav) for (const n of NAVIGATOR_CAPABILITIES) if (nav[n] !== undefined) left.push(`navigator.${n}`);
  return left;
}
