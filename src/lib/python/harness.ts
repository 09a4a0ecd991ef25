/**
 * The Python half of the sandbox, installed once per interpreter (before the memory snapshot, so
 * restored workers have it already). `_sp_install(config)` records the baseline state and
 * `_sp_run(payload_json)` runs one program and returns a JSON result. Each run:
 * - gets a fresh `__main__` namespace; stdout/stderr go to capped in-Python buffers (no JS
 *   stdout handler, which delays interrupts: pyodide#5232); stdin is empty, so `input()` raises
 *   EOFError as it does under a harness subprocess without a terminal;
 * - compiles the candidate first (a syntax error is its own verdict), runs it, then the set-up,
 *   then every test on its own, recording each;
 * - afterwards undoes what the program changed in the interpreter: modules it imported are
 *   dropped, and any module whose namespace it rebound (builtins, sys, math, …) is put back from
 *   the baseline copy, as are sys.path/meta_path, os.environ and warnings' filters. What was
 *   undone is reported, so the pool can also recycle the worker if it wants to.
 */
export const HARNESS_PY = String.raw`
import sys, os, io, json, linecache, traceback, builtins, operator, warnings, gc

# The harness's own handles on what it uses after a program ran: the program may have rebound
# any name in builtins, sys or operator, and the undoing must not go through those names.
_is, _len, _all, _map, _modules = operator.is_, len, all, map, sys.modules
_isinstance, _type, _compile, _exec, _str = isinstance, type, compile, exec, str
_bdict, _sdict, _lcache = builtins.__dict__, sys.__dict__, linecache.cache

class OutputLimitExceeded(BaseException):
    """Raised by the capped stdout when a program floods output. A BaseException, so that a
    program's 'except Exception' does not swallow it."""

class _SpWriter(io.TextIOBase):
    def __init__(self, state):
        self._state = state
    def writable(self):
        return True
    def write(self, s):
        if not _isinstance(s, _str):
            raise TypeError("write() argument must be str, not " + _type(s).__name__)
        st = self._state
        st["total"] += _len(s)
        room = st["keep"] - st["kept"]
        if room > 0:
            part = s[:room]
            st["parts"].append((self is st["err"], part))
            st["kept"] += _len(part)
        if st["total"] > st["flood"]:
            raise OutputLimitExceeded("more than %d characters of output" % st["flood"])
        return _len(s)
    def flush(self):
        pass
    def isatty(self):
        return False

def _sp_exit(*args, **kwargs):
    raise SystemExit(*args[:1])

def _sp_denied(name):
    def denied(*args, **kwargs):
        raise PermissionError("os.%s is not available in the sandbox" % name)
    denied.__name__ = name
    return denied

_sp = {}

def _sp_install(config_json):
    cfg = json.loads(config_json)
    _sp["limit"] = cfg["recursionLimit"]
    _sp["keep"] = cfg["outputKeep"]
    _sp["flood"] = cfg["outputFlood"]
    _sp["blocked"] = tuple(cfg["blockedModules"])
    # os._exit and abort would end the whole interpreter (Emscripten's exit), not just the
    # program: make them behave like sys.exit, which a harness reports as an error.
    import posix
    for mod in (os, posix):
        mod._exit = _sp_exit
        mod.abort = _sp_exit
        # No processes and no signals to them: the same refusal in the browser and in Node
        # (where Emscripten's system() would otherwise run a real shell).
        for name in ("system", "fork", "forkpty", "kill", "killpg", "execv", "execve", "posix_spawn", "posix_spawnp"):
            if hasattr(mod, name):
                setattr(mod, name, _sp_denied(name))
    sys.meta_path.insert(0, _SpBlocker)
    _sp["max"] = cfg["recursionCeiling"]
    real_setrecursionlimit = sys.setrecursionlimit
    def setrecursionlimit(limit):
        """Held to the sandbox's ceiling: deeper recursion overflows the JS stack and kills the
        interpreter instead of raising RecursionError (RUNTIME_FACTS section 15)."""
        real_setrecursionlimit(min(operator.index(limit), _sp["max"]))
    sys.setrecursionlimit = setrecursionlimit
    _sp["setrl"] = real_setrecursionlimit
    real_setrecursionlimit(_sp["limit"])
    sys.stdin = io.StringIO("")
    # Modules that fill in globals lazily on first use would otherwise look "changed" after the
    # first program that uses them.
    import collections, re, random, datetime
    collections.Counter("ab").most_common(1)
    _sp_baseline()

class _SpBlocker:
    """Refuses the modules that bridge to JavaScript (js, pyodide_js, pyodide.ffi, …): generated
    code has no business with the worker's JS side. Defence in depth only: the worker has also
    had its network and storage capabilities removed on the JS side."""
    @staticmethod
    def _is_blocked(name):
        if not _sp.get("active"):
            return False
        for b in _sp["blocked"]:
            if name == b or name.startswith(b + "."):
                return True
        return False
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if cls._is_blocked(name):
            raise ImportError("import of '%s' is not allowed in the sandbox" % name, name=name)
        return None
    @classmethod
    def invalidate_caches(cls):
        pass

def _sp_hide():
    """Called once the worker holds _sp_run (after a fresh start or a snapshot restore, which
    re-imports Pyodide's own modules): drop the name that let it find the harness, put the JS
    bridge out of reach, and take the baseline every program's changes are undone to."""
    builtins.__dict__.pop("__sp_ns__", None)
    _sp["active"] = True
    for name in list(sys.modules):
        if _SpBlocker._is_blocked(name):
            del sys.modules[name]
    _sp_baseline()

def _sp_baseline():
    gc.collect()
    mods = dict(sys.modules)
    _sp["mods"] = mods
    _sp["names"] = frozenset(mods)
    _sp["mod_keys"], _sp["mod_vals"] = tuple(mods), tuple(mods.values())
    snaps = {}
    for name, m in mods.items():
        d = getattr(m, "__dict__", None)
        if type(d) is dict and d is not _bdict and d is not _sdict:
            snaps[name] = (d, dict(d), tuple(d.values()))
    _sp["snaps"] = snaps
    # Modules reachable from each module within two attribute steps (os -> os.path -> ...):
    # what a program that imported it can rebind without naming anything else.
    by_id = {id(m): n for n, m in mods.items()}
    near = {n: {by_id[id(v)] for v in s[1].values() if id(v) in by_id} for n, s in snaps.items()}
    _sp["reach"] = {n: frozenset({n}.union(*([near.get(k, ()) for k in near[n]] + [near[n]])) & snaps.keys()) for n in snaps}
    _sp["core"] = {"builtins": (dict(_bdict), tuple(_bdict.values())), "sys": (dict(_sdict), tuple(_sdict.values()))}
    _sp["lists"] = [(lst, list(lst)) for lst in (sys.path, sys.meta_path, sys.path_hooks, warnings.filters)]
    _sp["environ"] = dict(os.environ._data)

# Source that can reach a module object without importing it by name (introspection, gc, eval,
# the builtins module) gets every module checked; otherwise only what it imports is checked.
# Checking all ~190 module namespaces costs ~0.6 ms in WebAssembly, several times a typical
# program's own run time.
_sp_reaching = __import__("re").compile(
    r"\b(?:sys|gc|builtins|importlib|inspect|ctypes|globals|locals|vars|getattr|setattr|delattr"
    r"|eval|exec|compile|breakpoint|help|open)\b|__\w*(?:dict|globals|self|class|subclasses|builtins"
    r"|import|code|closure|mro|bases?|func|module|loader|spec|reduce\w*|getattribute|setattr)__")
_sp_imports = __import__("re").compile(r"\b(?:from\s+([\w.]+)\s+import\b|import\s+([^\n;#()]+))")

def _sp_scope(source):
    """The baseline modules a program could have rebound, or None for all of them."""
    if _sp_reaching.search(source):
        return None
    names = set()
    for m in _sp_imports.finditer(source):
        for part in (m.group(1),) if m.group(1) else m.group(2).split(","):
            words = part.split()
            if words:
                dotted = words[0].split(".")
                names.update(".".join(dotted[: i + 1]) for i in range(len(dotted)))
    reach = _sp["reach"]
    return set().union(*[reach[n] for n in names if n in reach])

def _sp_fix(d, copy, vals):
    if _len(d) != _len(vals) or not _all(_map(_is, d.values(), vals)):
        changed = [k for k in d.keys() | copy.keys() if d.get(k, _sp) is not copy.get(k, _sp)]
        d.clear()
        d.update(copy)
        return changed
    return None

def _sp_restore(notes, scope):
    # builtins and sys first, with no lookups through them, then everything else.
    for name, d in (("builtins", _bdict), ("sys", _sdict)):
        changed = _sp_fix(d, _sp["core"][name][0], _sp["core"][name][1])
        if changed:
            notes.append("restored %s.%s" % (name, ",".join(sorted(changed)[:5])))
    mods = _modules
    if _len(mods) != _len(_sp["names"]) or mods.keys() != _sp["names"]:
        for name in mods.keys() - _sp["names"]:
            del mods[name]
    if not _all(_map(_is, _map(mods.get, _sp["mod_keys"]), _sp["mod_vals"])):
        for name, m in _sp["mods"].items():
            if mods.get(name) is not m:
                mods[name] = m
                notes.append("restored sys.modules['%s']" % name)
    snaps = _sp["snaps"]
    for name in snaps if scope is None else scope:
        changed = _sp_fix(*snaps[name])
        if changed:
            notes.append("restored %s.%s" % (name, ",".join(sorted(changed)[:5]) + ("…" if len(changed) > 5 else "")))
    for lst, copy in _sp["lists"]:
        if len(lst) != len(copy) or not all(map(_is, lst, copy)):
            lst[:] = copy
            notes.append("restored a list in sys/warnings")
    if os.environ._data != _sp["environ"]:
        os.environ._data.clear()
        os.environ._data.update(_sp["environ"])
        notes.append("restored os.environ")
    _sp["setrl"](_sp["limit"])
    sys.settrace(None)
    sys.setprofile(None)

def _sp_error(exc, filename):
    """Type, message, the innermost line in 'filename', and a traceback without our frames."""
    tb = exc.__traceback__
    # The innermost frames say where; a 3,000-frame recursion formatted whole takes seconds.
    frames = traceback.extract_tb(tb, limit=-40) if tb is not None else []
    keep = [f for f in frames if not f.filename.startswith("<exec")]
    line = None
    for f in keep:
        if f.filename == "<candidate>":
            line = f.lineno
    if _isinstance(exc, SyntaxError) and exc.filename == filename:
        line = exc.lineno
    text = "".join(traceback.format_list([f for f in keep if f.filename.startswith("<")]))
    text = ("Traceback (most recent call last):\n" + text if text else "") + "".join(traceback.format_exception_only(type(exc), exc))
    return {"type": type(exc).__name__, "message": str(exc), "line": line, "traceback": text[-8000:]}

def _sp_classify(exc):
    if _isinstance(exc, OutputLimitExceeded):
        return "resource", "output"
    if _isinstance(exc, MemoryError):
        return "resource", "memory"
    if _isinstance(exc, RecursionError):
        return "resource", "recursion"
    if _isinstance(exc, AssertionError):
        return "failed", None
    return "error", None

def _sp_exec(source, filename, g):
    code = _compile(source, filename, "exec")
    _lcache[filename] = (_len(source), None, source.splitlines(True), filename)
    _exec(code, g)

def _sp_run(payload_json):
    p = json.loads(payload_json)
    st = {"total": 0, "kept": 0, "keep": _sp["keep"], "flood": _sp["flood"], "parts": []}
    out, err = _SpWriter(st), _SpWriter(st)
    st["err"] = err
    tests = [{"index": i, "source": t["source"], "hidden": t["hidden"], "status": "not_run"} for i, t in enumerate(p["tests"])]
    result = {"kind": "passed", "tests": tests}
    notes = []
    errors = []
    scope = _sp_scope(p["code"] + "\n" + p["setup"] + "\n" + "\n".join(t["source"] for t in p["tests"]))
    g = {"__name__": "__main__", "__builtins__": builtins}
    saved = (sys.stdout, sys.stderr, sys.stdin)
    sys.stdout, sys.stderr, sys.stdin = out, err, io.StringIO("")
    stage = "candidate"
    try:
        try:
            code = _compile(p["code"], "<candidate>", "exec")
        except (SyntaxError, ValueError) as e:
            result["kind"] = "syntax_error"
            errors.append((result, e, "<candidate>"))
            raise _SpDone()
        _lcache["<candidate>"] = (_len(p["code"]), None, p["code"].splitlines(True), "<candidate>")
        _exec(code, g)
        stage = "setup"
        if p["setup"].strip():
            _sp_exec(p["setup"], "<setup>", g)
        stage = "tests"
        first = None
        for t in tests:
            try:
                _sp_exec(t["source"], "<test %d>" % t["index"], g)
                t["status"] = "passed"
            except (Exception, SystemExit) as e:
                kind, res = _sp_classify(e)
                t["status"] = "failed" if kind == "failed" else "error"
                errors.append((t, e, "<test %d>" % t["index"]))
                if first is None:
                    first = t
                    result["kind"] = kind
                    if res:
                        result["resource"] = res
                    result["failedTest"] = t["index"]
    except _SpDone:
        pass
    except BaseException as e:
        kind, res = _sp_classify(e)
        result["kind"] = kind
        if res:
            result["resource"] = res
        errors.append((result, e, "<candidate>"))
        result["stage"] = stage
        if kind in ("timeout", "resource") and stage == "tests":
            for t in tests:
                if t["status"] == "not_run":
                    result["failedTest"] = result.get("failedTest", t["index"])
                    break
    finally:
        _sdict["stdout"], _sdict["stderr"], _sdict["stdin"] = saved
        g.clear()
        _sp_restore(notes, scope)
    # Formatted only now: tracebacks go through linecache and traceback, which use builtins.
    for target, e, filename in errors:
        try:
            target["error"] = _sp_error(e, filename)
        except BaseException as fmt:
            target["error"] = {"type": type(e).__name__, "message": "(could not be formatted: %r)" % (fmt,), "line": None, "traceback": ""}
    if result.get("failedTest") is not None and "error" not in result:
        result["error"] = tests[result["failedTest"]].get("error")
    errors.clear()
    for f in [k for k in _lcache if k.startswith("<")]:
        del _lcache[f]
    shown = [t for t in tests if not t["hidden"]]
    hidden = [t for t in tests if t["hidden"]]
    ok = result["kind"] not in ("syntax_error",) and "stage" not in result
    result["shownPassed"] = ok and all(t["status"] == "passed" for t in shown)
    result["hiddenPassed"] = ok and all(t["status"] == "passed" for t in hidden)
    result["stdout"] = "".join(s for is_err, s in st["parts"] if not is_err)
    result["stderr"] = "".join(s for is_err, s in st["parts"] if is_err)
    result["truncated"] = st["total"] > st["kept"]
    if notes:
        result["notes"] = notes
    return json.dumps(result)

class _SpDone(Exception):
    pass
`;
