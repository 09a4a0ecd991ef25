import { describe, expect, it } from "vitest";
import { compareHash, sweepHash } from "../../src/state/routes.ts";
import { DEFAULT_HASH, parseHash, predictHash, repairHash, runHash, tasksHash } from "../../src/state/routes.ts";

describe("hash routes", () => {
  it("opens the MBPP test split when there is no hash", () => {
    expect(parseHash("")).toEqual(parseHash(DEFAULT_HASH));
    expect(parseHash("")).toEqual({ name: "tasks", dataset: "mbpp", split: "test", taskId: undefined, q: "" });
  });

  it("round-trips task ids with slashes and searches with spaces", () => {
    const hash = tasksHash({ dataset: "humaneval", split: "test", taskId: "HumanEval/12", q: "longest string" });
    expect(hash).toBe("#/tasks/humaneval/test/HumanEval%2F12?q=longest+string");
    expect(parseHash(hash)).toEqual({ name: "tasks", dataset: "humaneval", split: "test", taskId: "HumanEval/12", q: "longest string" });
  });

  it("keeps custom set ids intact", () => {
    const hash = tasksHash({ dataset: "custom:1b2c", split: "all" });
    expect(parseHash(hash)).toMatchObject({ dataset: "custom:1b2c", split: "all", taskId: undefined });
  });

  it("has the engine screen and the GPU check", () => {
    expect(parseHash("#/engines")).toEqual({ name: "engines" });
    expect(parseHash("#/gpu-check")).toEqual({ name: "gpu-check" });
    expect(parseHash("#/engines/extra")).toEqual({ name: "not-found", path: "/engines/extra" });
  });

  it("reports unknown paths", () => {
    expect(parseHash("#/nowhere/at/all/x/y")).toEqual({ name: "not-found", path: "/nowhere/at/all/x/y" });
  });

  it("has the runs list, the New run form and one run's page", () => {
    expect(parseHash("#/runs")).toEqual({ name: "runs" });
    expect(parseHash("#/runs/new")).toEqual({ name: "new-run" });
    expect(parseHash(runHash("3f2a-9c"))).toEqual({ name: "run", id: "3f2a-9c" });
    expect(parseHash("#/runs/a/b")).toEqual({ name: "not-found", path: "/runs/a/b" });
  });

  it("has the comparison of two runs and the sweep page", () => {
    expect(parseHash(compareHash("run a", "b/2"))).toEqual({ name: "compare", a: "run a", b: "b/2" });
    expect(parseHash(sweepHash("s-1"))).toEqual({ name: "sweep", id: "s-1" });
    expect(parseHash("#/compare")).toEqual({ name: "compare", a: "", b: "" });
    expect(parseHash("#/compare/only-one")).toEqual({ name: "compare", a: "only-one", b: "" });
    expect(parseHash("#/compare/a/b/c")).toEqual({ name: "not-found", path: "/compare/a/b/c" });
    expect(parseHash("#/sweeps")).toEqual({ name: "sweep", id: "" });
  });

  it("has the repair dialogs and the execution-prediction runs, each with a list and one item's page", () => {
    expect(parseHash("#/repair")).toEqual({ name: "repair" });
    expect(parseHash(repairHash("d 1/2"))).toEqual({ name: "repair", id: "d 1/2" });
    expect(repairHash("d 1/2")).toBe("#/repair/d%201%2F2");
    expect(parseHash("#/predict")).toEqual({ name: "predict" });
    expect(parseHash(predictHash("p-9"))).toEqual({ name: "predict", id: "p-9" });
    expect(parseHash("#/repair/a/b")).toEqual({ name: "not-found", path: "/repair/a/b" });
    expect(parseHash("#/predict/a/b")).toEqual({ name: "not-found", path: "/predict/a/b" });
  });
});
