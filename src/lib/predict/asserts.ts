/**
 * # Inputs and outputs from MBPP asserts
 *
 * `assert remove_Occ("hello","l") == "heo"` becomes the call `remove_Occ("hello","l")` and the
 * expected text `"heo"`. Execution prediction shows the call and asks for its value; the truth
 * comes from running the call, not from the expected text (a few MBPP asserts compare with
 * `set(...)` or a rounded value, so the written expectation is not always the call's repr).
 * Asserts that are not a plain comparison of one call (`assert math.isclose(f(x), y)`,
 * `assert set(f(x)) == ...`, `assert a == b == c`) are skipped: there is no single call to show.
 */

export interface AssertCall {
  /** The call as written, e.g. `remove_Occ("hello","l")`. */
  call: string;
  /** The function's name. */
  fn: string;
  /** The right-hand side as written (`True` for `assert f(x)`, `False` for `assert not f(x)`). */
  expected: string;
  /** The assert it came from. */
  source: string;
}

/** Offsets of top-level occurrences of `token` in `s` (outside brackets and strings). */
function topLevel(s: string, token: string): number[] {
  const hits: number[] = [];
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "'" || c === '"') {
      i = skipString(s, i);
      continue;
    }
    if (c === "#") break;
    if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) depth--;
    else if (depth === 0 && s.startsWith(token, i)) hits.push(i);
  }
  return hits;
}

function stripComment(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "'" || c === '"') i = skipString(s, i);
    else if (c === "#") return s.slice(0, i);
  }
  return s;
}

/** Index of the closing quote of the string starting at `i`. */
function skipString(s: string, i: number): number {
  const q = s[i]!;
  const triple = s.startsWith(q.repeat(3), i);
  const end = triple ? q.repeat(3) : q;
  let j = i + end.length;
  while (j < s.length) {
    if (s[j] === "\\") {
      j += 2;
      continue;
    }
    if (s.startsWith(end, j)) return j + end.length - 1;
    j++;
  }
  return s.length;
}

/** `name(...)` spanning the whole text, with balanced brackets; the name may be dotted. */
function asCall(text: string): { fn: string } | null {
  const m = /^([A-Za-z_][\w.]*)\s*\(/.exec(text);
  if (!m) return null;
  let depth = 0;
  for (let i = m[0].length - 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      i = skipString(text, i);
      continue;
    }
    if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) {
      depth--;
      if (depth === 0) return i === text.length - 1 ? { fn: m[1]! } : null;
    }
  }
  return null;
}

/** The one call an assert checks and the value it expects, or null when it is not that shape. */
export function parseAssert(source: string): AssertCall | null {
  let body = stripComment(source).trim();
  if (!/^assert\b/.test(body)) return null;
  body = body.slice("assert".length).trim();
  // `assert cond, "message"`: the message is not part of the condition.
  const comma = topLevel(body, ",")[0];
  if (comma !== undefined) body = body.slice(0, comma).trim();

  const eq = topLevel(body, "==");
  if (eq.length > 1) return null;
  if (eq.length === 1) {
    let left = body.slice(0, eq[0]).trim();
    let right = body.slice(eq[0]! + 2).trim();
    // `assert "x" == f(y)` is rare but written both ways.
    if (!asCall(left) && asCall(right)) [left, right] = [right, left];
    const call = asCall(left);
    if (!call || !right || isBuiltinWrapper(call.fn)) return null;
    return { call: left, fn: call.fn, expected: right, source };
  }
  if (topLevel(body, "!=").length || topLevel(body, "<").length || topLevel(body, ">").length || /\b(is|in|and|or)\b/.test(body.replace(/(['"]).*?\1/g, ""))) return null;
  const negated = /^not\s+/.exec(body);
  const expr = negated ? body.slice(negated[0].length).trim() : body;
  const call = asCall(expr);
  if (!call || isBuiltinWrapper(call.fn)) return null;
  return { call: expr, fn: call.fn, expected: negated ? "False" : "True", source };
}

/** `set(f(x)) == {...}`, `math.isclose(...)`: the shown call would not be the task's function. */
function isBuiltinWrapper(fn: string): boolean {
  return /^(set|sorted|list|tuple|dict|str|int|float|round|abs|len|math\.\w+|frozenset)$/.test(fn);
}
