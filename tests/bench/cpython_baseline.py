"""CPython baseline for `npm run bench:exec` (tests/bench/exec.ts): MBPP programs the way
human-eval-style harnesses run them, each in its own `python3` subprocess with a timeout, N at a
time (N = the sandbox pool's size, so both sides get the same parallelism).

Reads a JSON request on stdin, writes a JSON answer on stdout:
  {"mode": "spawn", "workers": N, "timeout_s": T, "programs": [{"id", "script"}, ...]}
      -> {"wall_s", "results": [{"id", "ok", "timed_out", "s"}]}
  {"mode": "inproc", "programs": [...]}
      -> {"results": [{"id", "ok", "s"}]}: each program exec'd in a fresh namespace in this one
         process, timed with perf_counter: the program's own compute, with no start-up cost.
  {"mode": "runaway", "workers": N, "timeout_s": T, "script": "...", "next": "..."}
      -> {"next_finished_s"}: N copies of `script` and then `next`, submitted at once; the time
         until `next` has finished.
"""
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor


def spawn(script, timeout_s):
    t0 = time.perf_counter()
    try:
        r = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=timeout_s)
        ok, timed_out = r.returncode == 0, False
    except subprocess.TimeoutExpired:
        # subprocess.run kills the child (SIGKILL) and waits for it before raising.
        ok, timed_out = False, True
    return ok, timed_out, time.perf_counter() - t0


def run_spawn(req):
    programs = req["programs"]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=req["workers"]) as ex:
        outs = list(ex.map(lambda p: spawn(p["script"], req["timeout_s"]), programs))
    wall = time.perf_counter() - t0
    return {
        "wall_s": wall,
        "results": [{"id": p["id"], "ok": ok, "timed_out": to, "s": s} for p, (ok, to, s) in zip(programs, outs)],
    }


def run_inproc(req):
    results = []
    for p in req["programs"]:
        code = compile(p["script"], "<program>", "exec")
        t0 = time.perf_counter()
        try:
            exec(code, {"__name__": "__main__"})
            ok = True
        except BaseException:  # noqa: BLE001 - a failing program is a result, not a crash
            ok = False
        results.append({"id": p["id"], "ok": ok, "s": time.perf_counter() - t0})
    return {"results": results}


def run_runaway(req):
    n = req["workers"]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=n) as ex:
        for _ in range(n):
            ex.submit(spawn, req["script"], req["timeout_s"])
        nxt = ex.submit(spawn, req["next"], req["timeout_s"])
        nxt.result()
        finished = time.perf_counter() - t0
    return {"next_finished_s": finished}


def main():
    req = json.load(sys.stdin)
    mode = req["mode"]
    out = {"spawn": run_spawn, "inproc": run_inproc, "runaway": run_runaway}[mode](req)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
