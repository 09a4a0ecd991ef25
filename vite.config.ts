import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// SharedArrayBuffer (and so Pyodide's interrupt buffer) needs a cross-origin isolated page.
export const isolationHeaders = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export default defineConfig({
  // Relative base + hash routing: the built site works from any static folder.
  base: "./",
  plugins: [svelte()],
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders, port: 4173, strictPort: true },
  optimizeDeps: { exclude: ["pyodide", "@mlc-ai/web-llm"] },
  worker: { format: "es" },
  build: { target: "es2022", chunkSizeWarningLimit: 7000 },
});
