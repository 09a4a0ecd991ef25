/**
 * Hash routes, so the built site works from any static folder:
 *   #/tasks/<dataset>/<split>[/<taskId>][?q=<search>]
 *   #/engines      choose, load and try an engine
 *   #/gpu-check    the smallest coder model on five MBPP tasks
 *   #/compare/<runA>/<runB>   two runs task by task; #/sweeps/<id>   a sweep's figure (#/sweeps lists them)
 *   #/runs         runs in this browser; #/runs/new the New run form; #/runs/<id> one run
 *   #/repair       repair dialogs (list, new dialog, solved-by-turn); #/repair/<id> one dialog
 *   #/predict      execution-prediction runs; #/predict/<id> one run
 * Task ids can contain "/" (HumanEval/0), so every segment is URI-encoded.
 */
export type Route =
  | { name: "tasks"; dataset: string; split: string; taskId?: string; q: string }
  | { name: "engines" }
  | { name: "gpu-check" }
  | FigureRoute
  | RunRoute
  | ExperimentRoute
  | { name: "not-found"; path: string };

export const DEFAULT_HASH = "#/tasks/mbpp/test";

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, "") || "/";
  const [path = "/", query = ""] = raw.split("?", 2);
  const params = new URLSearchParams(query);
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return parseHash(DEFAULT_HASH);
  if (parts[0] === "tasks" && parts.length >= 3 && parts.length <= 4) {
    return { name: "tasks", dataset: parts[1]!, split: parts[2]!, taskId: parts[3], q: params.get("q") ?? "" };
  }
  if (parts[0] === "tasks" && parts.length < 3) {
    return { name: "tasks", dataset: parts[1] ?? "mbpp", split: "", q: params.get("q") ?? "" };
  }
  if (parts.length === 1 && parts[0] === "engines") return { name: "engines" };
  if (parts.length === 1 && parts[0] === "gpu-check") return { name: "gpu-check" };
  const figure = parseFigureRoute(parts);
  if (figure) return figure;
  const run = parseRunRoute(parts);
  if (run) return run;
  const experiment = parseExperimentRoute(parts);
  if (experiment) return experiment;
  return { name: "not-found", path };
}

export function tasksHash(r: { dataset: string; split: string; taskId?: string; q?: string }): string {
  const segs = ["tasks", r.dataset, r.split, ...(r.taskId === undefined ? [] : [r.taskId])].map(encodeURIComponent);
  const q = r.q ? `?${new URLSearchParams({ q: r.q }).toString()}` : "";
  return `#/${segs.join("/")}${q}`;
}

// --- Runs (issue 5) ----------------------------------------------------------------------------

export type RunRoute = { name: "runs" } | { name: "new-run" } | { name: "run"; id: string };

function parseRunRoute(parts: string[]): RunRoute | null {
  if (parts[0] !== "runs" || parts.length > 2) return null;
  if (parts.length === 1) return { name: "runs" };
  return parts[1] === "new" ? { name: "new-run" } : { name: "run", id: parts[1]! };
}

export function runHash(id: string): string {
  return `#/runs/${encodeURIComponent(id)}`;
}

// --- Figures: compare and sweeps (issue 6) ------------------------------------------------------

export type FigureRoute = { name: "compare"; a: string; b: string } | { name: "sweep"; id: string };

/** `#/compare` and `#/compare/<runA>` open the pickers with what is known; `#/sweeps` lists the sweeps. */
function parseFigureRoute(parts: string[]): FigureRoute | null {
  if (parts[0] === "compare" && parts.length <= 3) return { name: "compare", a: parts[1] ?? "", b: parts[2] ?? "" };
  if (parts[0] === "sweeps" && parts.length <= 2) return { name: "sweep", id: parts[1] ?? "" };
  return null;
}

export function compareHash(a: string, b: string): string {
  return `#/compare/${encodeURIComponent(a)}/${encodeURIComponent(b)}`;
}

export function sweepHash(id: string): string {
  return `#/sweeps/${encodeURIComponent(id)}`;
}

// --- The paper's other experiments: repair dialogs and execution prediction (issue 7) -----------

/** `id` absent: the list and the form to start one. */
export type ExperimentRoute = { name: "repair"; id?: string } | { name: "predict"; id?: string };

function parseExperimentRoute(parts: string[]): ExperimentRoute | null {
  const name = parts[0];
  if ((name !== "repair" && name !== "predict") || parts.length > 2) return null;
  return parts.length === 1 ? { name } : { name, id: parts[1]! };
}

export function repairHash(id: string): string {
  return `#/repair/${encodeURIComponent(id)}`;
}

export function predictHash(id: string): string {
  return `#/predict/${encodeURIComponent(id)}`;
}
