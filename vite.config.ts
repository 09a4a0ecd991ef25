import { defineConfig, type Plugin } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// SharedArrayBuffer (and so Pyodide's interrupt buffer) needs a cross-origin isolated page.
export const isolationHeaders = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

/**
 * The Python sandbox worker's own Content-Security-Policy (a dedicated worker takes the policy sent
 * with its script). The worker deletes fetch & co. before generated code runs, but dynamic
 * `import()` cannot be deleted: this header keeps it, and any other load, on this origin.
 * Static hosts should send the same header for assets/python.worker-*.js (README, "Hosting").
 */
export const SANDBOX_WORKER_CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'";

function sandboxWorkerCsp(): Plugin {
  const apply = (req: { url?: string }, res: { setHeader(k: string, v: string): void }) => {
    if (req.url && /python\.worker/.test(req.url)) res.setHeader("Content-Security-Policy", SANDBOX_WORKER_CSP);
  };
  return {
    name: "sandbox-worker-csp",
    configureServer(server) {
      server.middlewares.use((req, res, next) => (apply(req, res), next()));
    },
    configurePreviewServer(server) {
      server.middlewares.use((req, res, next) => (apply(req, res), next()));
    },
  };
}

export default defineConfig({
  // Relative base + hash routing: the built site works from any static folder.
  base: "./",
  plugins: [svelte(), sandboxWorkerCsp()],
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders, port: 4173, strictPort: true },
  optimizeDeps: { exclude: ["pyodide", "@mlc-ai/web-llm"] },
  worker: { format: "es" },
  build: { target: "es2022", chunkSizeWarningLimit: 7000 },
});
