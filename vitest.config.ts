import { defineConfig, mergeConfig } from "vitest/config";
import viteConfig from "./vite.config.ts";

// One Pyodide per process is the expensive part of the unit suite: files share a worker
// (isolate: false, one worker) so a cached loadPyodide() promise is reused across files.
export default mergeConfig(
  viteConfig,
  defineConfig({
    test: {
      include: ["tests/unit/**/*.test.ts", "src/**/*.test.ts"],
      environment: "node",
      isolate: false,
      maxWorkers: 1,
      testTimeout: 60_000,
      hookTimeout: 120_000,
    },
  }),
);
