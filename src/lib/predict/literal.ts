/**
 * # Python literals in TypeScript, with `ast.literal_eval`'s reach
 *
 * Execution prediction scores a model's answer by reading it as a Python literal and comparing
 * values, so `[1,2]`, `[1, 2]` and `[ 1 , 2 ]` agree and `(1, 2)` does not equal `[1, 2]`.
 * Accepted, as `ast.literal_eval` accepts them: numbers (int, float with exponent, `_` separators,
 * hex/octal/binary ints, complex `j` suffix), unary `+`/`-`, `a + bj` / `a - bj`, strings and
 * bytes (single, double and triple quotes, `r`/`b`/`u`/`f`-less prefixes, escapes, adjacent
 * strings concatenated), `True`/`False`/`None`, tuples, lists, dicts, sets and `set()`.
 * Comparison follows Python's `==`: `1 == 1.0 == True`, sets and dicts ignore order, and floats
 * compare within a tolerance (a model printing `0.3333333` for `1/3` is right).
 */

export type PyValue =
  | { t: "none" }
  | { t: "bool"; v: boolean }
  | { t: "int"; v: bigint }
  | { t: "float"; v: number }
  | { t: "complex"; re: number; im: number }
  | { t: "str"; v: string }
  | { t: "bytes"; v: string }
  | { t: "tuple"; items: PyValue[] }
  | { t: "list"; items: PyValue[] }
  | { t: "set"; items: PyValue[] }
  | { t: "dict"; entries: [PyValue, PyValue][] };

/** Text that is not a Python literal; `offset` is where reading stopped. */
export class LiteralSyntaxError extends Error {
  constructor(
    readonly offset: number,
    what: string,
  ) {
    super(`Not a Python literal at character ${offset + 1}: ${what}.`);
    this.name = "LiteralSyntaxError";
  }
}

const STRING_START = /^([rRbBuU]{0,2})('''|"""|'|")/;

class Reader {
  i = 0;
  constructor(readonly s: string) {}

  ws(): void {
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === " " || c === "\t" || c === "\n" || c === "\r") this.i++;
      else if (c === "\\" && this.s[this.i + 1] === "\n") this.i += 2;
      else break;
    }
  }

  fail(what: string): never {
    throw new LiteralSyntaxError(this.i, what);
  }

  eat(c: string): boolean {
    this.ws();
    if (this.s.startsWith(c, this.i)) {
      this.i += c.length;
      return true;
    }
    return false;
  }

  value(): PyValue {
    this.ws();
    const start = this.i;
    const v = this.term();
    // `1 + 2j` / `-1.5 - 2j`: the one binary form literal_eval accepts.
    this.ws();
    const op = this.s[this.i];
    if ((op === "+" || op === "-") && (v.t === "int" || v.t === "float")) {
      this.i++;
      const rhs = this.term();
      if (rhs.t !== "complex") {
        this.i = start;
        this.fail("only a complex number may follow + or -");
      }
      const re = v.t === "int" ? Number(v.v) : v.v;
      return { t: "complex", re: re + rhs.re, im: op === "+" ? rhs.im : -rhs.im };
    }
    return v;
  }

  term(): PyValue {
    this.ws();
    const c = this.s[this.i];
    if (c === undefined) this.fail("the text ended where a value was expected");
    if (c === "-" || c === "+") {
      this.i++;
      const v = this.term();
      const neg = c === "-";
      if (v.t === "int") return { t: "int", v: neg ? -v.v : v.v };
      if (v.t === "float") return { t: "float", v: neg ? -v.v : v.v };
      if (v.t === "complex") return neg ? { t: "complex", re: -v.re, im: -v.im } : v;
      if (v.t === "bool") return { t: "int", v: neg ? (v.v ? -1n : 0n) : v.v ? 1n : 0n };
      this.fail("a sign before something that is not a number");
    }
    if (c === "(") return this.sequence("(", ")", "tuple");
    if (c === "[") return this.sequence("[", "]", "list");
    if (c === "{") return this.braces();
    if (/[0-9.]/.test(c)) return this.number();
    const str = STRING_START.exec(this.s.slice(this.i));
    if (str) return this.strings();
    const word = /^[A-Za-z_][A-Za-z_0-9]*/.exec(this.s.slice(this.i))?.[0] ?? "";
    if (word === "True" || word === "False") {
      this.i += word.length;
      return { t: "bool", v: word === "True" };
    }
    if (word === "None") {
      this.i += 4;
      return { t: "none" };
    }
    if (word === "set") {
      this.i += 3;
      if (this.eat("(") && this.eat(")")) return { t: "set", items: [] };
      this.fail("only `set()` is a literal call");
    }
    this.fail(word ? `\`${word}\` is a name, not a literal` : `unexpected \`${c}\``);
  }

  sequence(open: string, close: string, t: "tuple" | "list"): PyValue {
    this.i += open.length;
    const items: PyValue[] = [];
    let trailingComma = false;
    while (!this.eat(close)) {
      if (items.length > 0 && !trailingComma) this.fail(`expected \`,\` or \`${close}\``);
      items.push(this.value());
      trailingComma = this.eat(",");
    }
    // `(1)` is 1, `(1,)` a tuple.
    if (t === "tuple" && items.length === 1 && !trailingComma) return items[0]!;
    return { t, items };
  }

  braces(): PyValue {
    this.i++;
    if (this.eat("}")) return { t: "dict", entries: [] };
    const first = this.value();
    if (this.eat(":")) {
      const entries: [PyValue, PyValue][] = [[first, this.value()]];
      while (!this.eat("}")) {
        if (!this.eat(",")) this.fail("expected `,` or `}` in a dict");
        if (this.eat("}")) break;
        const k = this.value();
        if (!this.eat(":")) this.fail("expected `:` in a dict");
        entries.push([k, this.value()]);
      }
      return { t: "dict", entries };
    }
    const items = [first];
    while (!this.eat("}")) {
      if (!this.eat(",")) this.fail("expected `,` or `}` in a set");
      if (this.eat("}")) break;
      items.push(this.value());
    }
    return { t: "set", items };
  }

  number(): PyValue {
    const rest = this.s.slice(this.i);
    const radix = /^0([xXoObB])([0-9a-fA-F_]+)/.exec(rest);
    if (radix) {
      this.i += radix[0].length;
      const prefix = radix[1]!.toLowerCase();
      return { t: "int", v: BigInt(`0${prefix}${radix[2]!.replace(/_/g, "")}`) };
    }
    const m = /^(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?([jJ])?/.exec(rest);
    if (!m || m[0] === ".") this.fail("a malformed number");
    this.i += m[0].length;
    const text = m[0].replace(/_/g, "").replace(/[jJ]$/, "");
    if (m[1]) return { t: "complex", re: 0, im: Number(text) };
    if (/[.eE]/.test(text)) return { t: "float", v: Number(text) };
    return { t: "int", v: BigInt(text) };
  }

  strings(): PyValue {
    let out = "";
    let bytes: boolean | undefined;
    for (;;) {
      this.ws();
      const m = STRING_START.exec(this.s.slice(this.i));
      if (!m) break;
      const prefix = m[1]!.toLowerCase();
      if (/[^rbu]/.test(prefix) || (prefix.includes("u") && prefix.length > 1)) this.fail(`string prefix \`${m[1]}\``);
      const isBytes = prefix.includes("b");
      if (bytes !== undefined && bytes !== isBytes) this.fail("bytes and str cannot be joined");
      bytes = isBytes;
      this.i += m[0].length;
      out += this.stringBody(m[2]!, prefix.includes("r"));
    }
    return bytes ? { t: "bytes", v: out } : { t: "str", v: out };
  }

  stringBody(quote: string, raw: boolean): string {
    let out = "";
    const triple = quote.length === 3;
    for (;;) {
      if (this.i >= this.s.length) this.fail("a string that is never closed");
      if (this.s.startsWith(quote, this.i)) {
        this.i += quote.length;
        return out;
      }
      const c = this.s[this.i]!;
      if (c === "\n" && !triple) this.fail("a line break inside a one-line string");
      if (c !== "\\") {
        out += c;
        this.i++;
        continue;
      }
      const n = this.s[this.i + 1];
      if (n === undefined) this.fail("a string that ends in a backslash");
      if (raw) {
        out += c + n;
        this.i += 2;
        continue;
      }
      this.i += 2;
      const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"', a: "\x07", b: "\b", f: "\f", v: "\v", "0": "\0", "\n": "" };
      if (n === "x" || n === "u" || n === "U") {
        const len = n === "x" ? 2 : n === "u" ? 4 : 8;
        const hex = this.s.slice(this.i, this.i + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) this.fail(`a malformed \\${n} escape`);
        out += String.fromCodePoint(parseInt(hex, 16));
        this.i += len;
      } else if (/[0-7]/.test(n) && /[0-7]/.test(this.s[this.i] ?? "")) {
        const oct = /^[0-7]{0,2}/.exec(this.s.slice(this.i))![0];
        out += String.fromCodePoint(parseInt(n + oct, 8));
        this.i += oct.length;
      } else out += simple[n] ?? `\\${n}`;
    }
  }
}

/** Reads `text` as one Python literal; throws {@link LiteralSyntaxError} otherwise. */
export function parsePyLiteral(text: string): PyValue {
  const r = new Reader(text);
  const first = r.value();
  // A bare `1, 2` is a tuple, as literal_eval reads it.
  if (r.eat(",")) {
    const items = [first];
    r.ws();
    while (r.i < r.s.length) {
      items.push(r.value());
      if (!r.eat(",")) break;
      r.ws();
    }
    r.ws();
    if (r.i < r.s.length) r.fail("text after the value");
    return { t: "tuple", items };
  }
  r.ws();
  if (r.i < r.s.length) r.fail("text after the value");
  return first;
}

/** `parsePyLiteral` that answers `null` instead of throwing. */
export function tryParsePyLiteral(text: string): PyValue | null {
  try {
    return parsePyLiteral(text);
  } catch (e) {
    if (e instanceof LiteralSyntaxError || e instanceof SyntaxError || e instanceof RangeError) return null;
    throw e;
  }
}

export interface Tolerance {
  /** Relative tolerance for floats (math.isclose's rel_tol). */
  rel: number;
  /** Absolute tolerance for floats near zero. */
  abs: number;
}

/** Six significant digits: what a model that rounds its printed float still gets right. */
export const DEFAULT_TOLERANCE: Tolerance = { rel: 1e-6, abs: 1e-9 };

function asNumber(v: PyValue): { re: number; im: number; exact?: bigint } | null {
  if (v.t === "bool") return { re: v.v ? 1 : 0, im: 0, exact: v.v ? 1n : 0n };
  if (v.t === "int") return { re: Number(v.v), im: 0, exact: v.v };
  if (v.t === "float") return { re: v.v, im: 0 };
  if (v.t === "complex") return { re: v.re, im: v.im };
  return null;
}

function close(a: number, b: number, tol: Tolerance): boolean {
  if (a === b) return true;
  if (Number.isNaN(a) || Number.isNaN(b) || !Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= Math.max(tol.rel * Math.max(Math.abs(a), Math.abs(b)), tol.abs);
}

/** Python's `==` between literals, with floats compared within `tol`. */
export function pyEqual(a: PyValue, b: PyValue, tol: Tolerance = DEFAULT_TOLERANCE): boolean {
  const na = asNumber(a);
  const nb = asNumber(b);
  if (na && nb) {
    if (na.exact !== undefined && nb.exact !== undefined) return na.exact === nb.exact;
    return close(na.re, nb.re, tol) && close(na.im, nb.im, tol);
  }
  if (na || nb) return false;
  switch (a.t) {
    case "none":
      return b.t === "none";
    case "str":
    case "bytes":
      return b.t === a.t && b.v === a.v;
    case "tuple":
    case "list":
      return b.t === a.t && b.items.length === a.items.length && a.items.every((x, i) => pyEqual(x, b.items[i]!, tol));
    case "set":
      return b.t === "set" && sameMembers(dedupe(a.items, tol), dedupe(b.items, tol), tol);
    case "dict": {
      if (b.t !== "dict") return false;
      const ea = dedupeEntries(a.entries, tol);
      const eb = dedupeEntries(b.entries, tol);
      return ea.length === eb.length && ea.every(([k, v]) => eb.some(([k2, v2]) => pyEqual(k, k2, tol) && pyEqual(v, v2, tol)));
    }
    default:
      return false;
  }
}

function dedupe(items: PyValue[], tol: Tolerance): PyValue[] {
  const out: PyValue[] = [];
  for (const x of items) if (!out.some((y) => pyEqual(x, y, tol))) out.push(x);
  return out;
}

/** Later keys win, as in a dict display. */
function dedupeEntries(entries: [PyValue, PyValue][], tol: Tolerance): [PyValue, PyValue][] {
  const out: [PyValue, PyValue][] = [];
  for (const [k, v] of entries) {
    const at = out.findIndex(([k2]) => pyEqual(k, k2, tol));
    if (at >= 0) out[at] = [out[at]![0], v];
    else out.push([k, v]);
  }
  return out;
}

function sameMembers(a: PyValue[], b: PyValue[], tol: Tolerance): boolean {
  return a.length === b.length && a.every((x) => b.some((y) => pyEqual(x, y, tol)));
}
