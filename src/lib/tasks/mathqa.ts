import { InvalidTaskFileError, parseJsonLines, type LineProblem } from "./errors.ts";
import type { Split, Task } from "./types.ts";

/**
 * # MathQA → MathQA-Python
 *
 * The conversion Austin et al. 2021 made with Google's notebook (google/trax
 * `MathQA_Python_generation_notebook.ipynb` over `trax/data/tf_inputs.py`), re-implemented from
 * the rules in ../shared/datasets/MATHQA_PYTHON.md:
 *
 * ```ts
 * const { kept, drops, counts } = convertSplit(JSON.parse(testJson), "test");
 * kept[0].code;   // "n0 = 5.0\nn1 = 31.1\nt0 = n1 + 100.0\n…\nanswer = t3 - 100.0"
 * counts;         // { "no-numeric-answer": 13, "zero-or-no-value": 36, "dsl-mismatch": 1042, … }
 * ```
 *
 * Both runs the notebook makes are Python: the numeric run of the DSL (with its zero-safe division
 * and its own `speed_in_still_water` / `stream_speed`) and the emitted program. Both are emulated
 * here with Python's float semantics (floor-sign modulo, ZeroDivisionError, `max`/`min` argument
 * order), so set-up needs no Python; the unit tests replay every kept program in real Python
 * (Pyodide) and compare with the published split.
 */

// --- Raw MathQA ---------------------------------------------------------------------------------

/** One record of MathQA's train/dev/test/challenge_test.json. */
export interface MathQARecord {
  Problem: string;
  Rationale: string;
  options: string;
  correct: string;
  annotated_formula?: string;
  linear_formula: string;
  category?: string;
}

/** One MathQA-Python problem: the notebook's fields, plus the MathQA fields the explorer shows. */
export interface MathQAPythonRecord {
  task_id: number;
  split: Split;
  /** `"# " + Problem + " n0 = <float> n1 = …"`: the prompt, a Python comment. */
  text: string;
  /** The reference program, ending in `answer = …`. */
  code: string;
  /** MathQA's `linear_formula`, unchanged. */
  dsl_code: string;
  /** MathQA's `Rationale`, surrounding quotes stripped. */
  reasoning: string;
  /** What running `code` leaves in `answer`. */
  answer: number;
  /** The gold value read from the correct option (may differ from `answer` by up to 1 %). */
  gold: number;
  problem: string;
  options: string;
  correct: string;
  category: string;
  annotated_formula: string;
}

/**
 * Why a problem is not in MathQA-Python (MATHQA_PYTHON.md, "Which problems are dropped"):
 * - `no-numeric-answer` (a): no number in or after the correct option;
 * - `zero-or-no-value` (b): the gold value is 0, or the DSL's last result is 0 or has no value
 *   (an op the notebook does not know, e.g. `min`, `surface_cylinder`);
 * - `dsl-mismatch` (c): the DSL's result is more than the tolerance away from the gold value;
 * - `python-mismatch` (d): the emitted program's `answer` is (only the unparenthesised
 *   `speed_in_still_water` / `stream_speed` can cause this);
 * - `python-error`: running the DSL or the program raises (ZeroDivisionError, a malformed op, …).
 *   The notebook has no error handling — such a problem would abort it — so this is ours;
 * - `repeated-text` (e): a kept problem whose `text` was already emitted ends the notebook's
 *   epoch; it and every later problem of the split are lost.
 */
export type DropReason = "no-numeric-answer" | "zero-or-no-value" | "dsl-mismatch" | "python-mismatch" | "python-error" | "repeated-text";
export const DROP_REASONS: readonly DropReason[] = ["no-numeric-answer", "zero-or-no-value", "dsl-mismatch", "python-mismatch", "python-error", "repeated-text"];

export interface Drop {
  /** 0-based position in the MathQA file. */
  index: number;
  reason: DropReason;
  detail: string;
}

export type Conversion = { kept: Omit<MathQAPythonRecord, "task_id" | "split"> } | { dropped: Omit<Drop, "index"> };

export interface SplitConversion {
  split: Split;
  /** MathQA records read. */
  total: number;
  kept: MathQAPythonRecord[];
  drops: Drop[];
  counts: Record<DropReason, number>;
}

// --- Numbers ------------------------------------------------------------------------------------

/** trax's one number pattern (problem text, options, DSL argument indices and constants alike). */
const NUMBER = /[-+]?[.]?\d+(?:,\d\d\d)*[.]?\d*(?:[eE][-+]?\d+)?/g;

/** Python's `float(s)` for what {@link NUMBER} matches (JS `Number` reads the same strings). */
function pyFloat(s: string): number {
  return Number(s);
}

/** Every number-like token, left to right, commas removed (`- 5` gives 5; `1 / 2` gives 1 and 2). */
export function extractNumbers(text: string): number[] {
  return Array.from(text.matchAll(NUMBER), (m) => pyFloat(m[0].replace(/,/g, "")));
}

/**
 * Python's `repr(float)`: shortest round-trip digits (as JS), but fixed notation only while the
 * decimal exponent is in [-4, 16), and always a `.0` on integral values: `3.0`, `1e-05`, `1e+16`.
 */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const [mant, expText] = Math.abs(x).toExponential().split("e") as [string, string];
  const digits = mant.replace(".", "");
  const exp = Number(expText); // value = d.ddd × 10^exp
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp).toString().padStart(2, "0");
    return `${sign}${m}e${exp < 0 ? "-" : "+"}${e}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  const int = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
  const frac = digits.slice(exp + 1);
  return `${sign}${int}.${frac || "0"}`;
}

/**
 * The gold value, read as the notebook does: the first number from the correct option's marker
 * (`"c )"`) to the end of the string; a `/` three characters after the number's Python text makes
 * it a fraction. Null when nothing numeric follows.
 */
export function goldFromOptions(options: string, correct: string): number | null {
  const index = options.indexOf(`${correct} )`);
  const from = index === -1 ? options.length - 1 : index; // Python's answers[-1:]
  const first = options.slice(Math.max(0, from)).match(new RegExp(NUMBER.source));
  if (!first) return null;
  let value = pyFloat(first[0].replace(/,/g, ""));
  const slash = index + pyFloatRepr(value).length + 3;
  // A negative `slash` indexes from the end in Python; the notebook never meets it, but match it.
  const at = slash < 0 ? options.length + slash : slash;
  if (slash < options.length && options[at] === "/") {
    const denominator = options.slice(at).match(new RegExp(NUMBER.source));
    if (!denominator) return null;
    value /= pyFloat(denominator[0].replace(/,/g, ""));
  }
  return value;
}

/** `math.isclose(a, b, rel_tol=rtol)`. */
export function isClose(a: number, b: number, rtol: number): boolean {
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= rtol * Math.max(Math.abs(a), Math.abs(b));
}

// --- The DSL ------------------------------------------------------------------------------------

export type DslArg = { kind: "number"; index: number; text: string } | { kind: "result"; index: number } | { kind: "constant"; name: string; value: number };

export interface DslOp {
  name: string;
  args: DslArg[];
}

/** A problem the notebook could not process (it would have raised); the problem is dropped. */
export class PythonRaised extends Error {
  constructor(
    readonly pyType: string,
    message: string,
  ) {
    super(`${pyType}: ${message}`);
    this.name = "PythonRaised";
  }
}

/** `const_100` = 100, `const_0_25` = 0.25, `const_3_6` = 3 + 0.6, `const_pi`, `const_deg_to_rad`. */
export function constantValue(name: string): number {
  if (name === "const_pi") return Math.PI;
  if (name === "const_deg_to_rad") return Math.PI / 180;
  const parts = Array.from(name.matchAll(NUMBER), (m) => m[0]);
  if (parts.length === 0) throw new PythonRaised("IndexError", `no digits in the constant ${name}`);
  if (parts.length === 1) return pyFloat(parts[0]!);
  return pyFloat(parts[0]!) + pyFloat(`0.${parts[1]!}`);
}

/** `linear_formula` → ops; an empty last element (trailing `|`) is dropped, as trax does. */
export function parseLinearFormula(formula: string): DslOp[] {
  const parts = formula.split("|");
  if (parts.length && !parts[parts.length - 1]) parts.pop();
  return parts.map((op) => {
    const name = op.split("(")[0]!;
    const start = op.indexOf("(");
    const endRaw = op.indexOf(")");
    const end = endRaw === -1 ? op.length - 1 : endRaw; // Python's op[a:-1]
    const args: DslArg[] = [];
    for (const arg of op.slice(start + 1, Math.max(start + 1, end)).split(",")) {
      const head = arg[0];
      if (head === undefined) throw new PythonRaised("IndexError", `empty argument in "${op}"`);
      if (head === "#" || head === "n") {
        const m = arg.match(new RegExp(NUMBER.source));
        if (!m) throw new PythonRaised("IndexError", `argument "${arg}" of "${op}" has no index`);
        const index = Math.trunc(pyFloat(m[0]));
        args.push(head === "#" ? { kind: "result", index } : { kind: "number", index, text: arg });
      } else if (head === "c") {
        args.push({ kind: "constant", name: arg, value: constantValue(arg) });
      }
      // Anything else is ignored by trax: the op just gets fewer arguments.
    }
    return { name, args };
  });
}

/** Python expressions (as the notebook emits them), with a trailing comment for some ops. */
const EMIT: Record<string, (a: string[]) => string> = {
  add: ([a, b]) => `${a} + ${b}`,
  subtract: ([a, b]) => `${a} - ${b}`,
  multiply: ([a, b]) => `${a} * ${b}`,
  divide: ([a, b]) => `${a} / ${b}`,
  speed: ([a, b]) => `${a} / ${b}`,
  inverse: ([a]) => `1 / ${a}`,
  negate: ([a]) => `-${a}`,
  power: ([a, b]) => `${a}**min(${b}, 5)`,
  sqrt: ([a]) => `math.sqrt(max(0, ${a}))`,
  factorial: ([a]) => `math.factorial(min(15, int(${a})))`,
  floor: ([a]) => `math.floor(${a})`,
  log: ([a]) => `math.log(max(1e-5, ${a}), 2)`,
  choose: ([a, b]) => `scipy.special.comb(${a}, ${b})`,
  gcd: ([a, b]) => `scipy.gcd(int(${a}), int(${b}))`,
  lcm: ([a, b]) => `scipy.lcm(int(${a}), int(${b}))`,
  reminder: ([a, b]) => `${a} % ${b}`,
  max: ([a, b]) => `max(${a},${b})`,
  from_percent: ([a]) => `${a} / 100`,
  percent: ([a, b]) => `${a} / 100 * ${b}`,
  gain_percent: ([a]) => `100 + ${a}`,
  loss_percent: ([a]) => `100 - ${a}`,
  negate_percent: ([a]) => `100 - ${a}`,
  price_after_gain: ([a, b]) => `(1 + ${a} / 100) * ${b}`,
  p_after_gain: ([a, b]) => `(1 + ${a} / 100) * ${b}`,
  price_after_loss: ([a, b]) => `(1 - ${a} / 100) * ${b}`,
  original_price_before_gain: ([a, b]) => `${b} * 100 / (100 + ${a})  # original_price_before gain`,
  original_price_before_loss: ([a, b]) => `${b} * 100 / (100 + 1e-5 - ${a})  # original price before loss`,
  permutation: ([a, b]) => `math.factorial(int(max(${a}, ${b}))) / math.factorial(int(max(${a}, ${b}) - min(${a}, ${b})))  # find all permutations`,
  combined_work: ([a, b]) => `1 / (min(${a}, 1 / ${a}) + min(${b}, 1 / ${b}))`,
  find_work: ([a, b]) => `1 / (max(min(${a}, 1 / ${a}), min(${b}, 1 / ${b})) - min(min(${a}, 1 / ${a}), min(${b}, 1 / ${b})))`,
  count_interval: ([a, b]) => `${a} - ${b} + 1`,
  speed_in_still_water: ([a, b]) => `${a} + ${b} / 2`,
  stream_speed: ([a, b]) => `${a} - ${b} / 2`,
  speed_ratio_steel_to_stream: ([a, b]) => `(${a} + ${b}) / (${a} - ${b})`,
  union_prob: ([a, b, c]) => `${a} + ${b} - ${c}`,
  negate_prob: ([a]) => `1 - ${a}`,
  diagonal: ([a, b]) => `math.sqrt(${a}**2 + ${b}**2)`,
  circle_area: ([a]) => `math.pi * ${a}**2`,
  circumface: ([a]) => `2 * math.pi * ${a}`,
  circle_arc: ([a, b]) => `${a} / 360 * math.pi * 2 * ${b}`,
  circle_sector_area: ([a, b]) => `${b} / 360 * math.pi * (${a}**2)`,
  semi_circle_perimiter: ([a]) => `math.pi * ${a} + 2 * ${a}  # perimeter of a semi-circle`,
  square_area: ([a]) => `${a}**2`,
  square_perimeter: ([a]) => `4 * ${a}`,
  rhombus_perimeter: ([a]) => `4 * ${a}`,
  square_edge_by_perimeter: ([a]) => `${a} / 4. # square edge given perimeter`,
  square_edge_by_area: ([a]) => `math.sqrt(${a})  # square edge given area`,
  rectangle_area: ([a, b]) => `${a} * ${b}  # area of rectangle`,
  rectangle_perimeter: ([a, b]) => `2 * (${a} + ${b})  # perimetere of rectangle`,
  rhombus_area: ([a, b]) => `${a} * ${b} / 2`,
  triangle_area: ([a, b]) => `${a} * ${b} / 2`,
  triangle_perimeter: ([a, b, c]) => `${a} + ${b} + ${c}  # perimeter of a triangle`,
  triangle_area_three_edges: ([a, b, c]) =>
    `(lambda s, a, b, c: math.sqrt(max(0, s * (s - a) * (s - b) * (s - c))))((${a} + ${b} + ${c}) / 2, ${a}, ${b}, ${c})  # Heron's formula`,
  quadrilateral_area: ([a, b, c]) => `${a} * (${b} + ${c}) / 2  # quadrilateral area`,
  trapezium_area: ([a, b, c]) => `${a} * (${b} + ${c}) / 2`,
  surface_cube: ([a]) => `6 * ${a}**2  # surface of a cube`,
  surface_rectangular_prism: ([a, b, c]) => `2 * (${a} * ${b} + ${a} * ${c} + ${b} * ${c})  # surface of a rectangular prism`,
  surface_sphere: ([a]) => `4 * math.pi * ${a}**2`,
  volume_cube: ([a]) => `${a}**3`,
  volume_rectangular_prism: ([a, b, c]) => `${a} * ${b} * ${c}`,
  volume_cylinder: ([a, b]) => `math.pi * ${a}**2 * ${b}`,
  volume_cone: ([a, b]) => `math.pi * ${a}**2 * ${b} / 3`,
  volume_sphere: ([a]) => `4 / 3 * math.pi * ${a}**3`,
  cube_edge_by_volume: ([a]) => `${a}**(1 / 3)`,
  sine: ([a]) => `math.sin(${a})`,
  cosine: ([a]) => `math.cos(${a})`,
};

/** Every op the notebook knows (others — `min`, `surface_cylinder`, … — have no value). */
export const DSL_OPS: readonly string[] = Object.keys(EMIT);

// --- Python float semantics ---------------------------------------------------------------------

/** A value in either run: a Python float/int, or None (an op without a value). */
type PyValue = number | null;

function num(v: PyValue | undefined, op: string): number {
  if (v === undefined) throw new PythonRaised("IndexError", `${op}: list index out of range (too few arguments)`);
  if (v === null) throw new PythonRaised("TypeError", `${op}: unsupported operand type(s): 'NoneType'`);
  return v;
}
function div(a: number, b: number): number {
  if (b === 0) throw new PythonRaised("ZeroDivisionError", "float division by zero");
  return a / b;
}
/** Python's `%` on floats: the result takes the divisor's sign. */
function mod(a: number, b: number): number {
  if (b === 0) throw new PythonRaised("ZeroDivisionError", "float modulo");
  let r = a % b;
  if (r !== 0) {
    if (b < 0 !== r < 0) r += b;
  } else r = b < 0 ? -0 : 0;
  return r;
}
/** `a ** b` on floats: a complex result (negative base, fractional exponent) or overflow raises here. */
function pow(a: number, b: number): number {
  if (a === 0 && b < 0) throw new PythonRaised("ZeroDivisionError", "0.0 cannot be raised to a negative power");
  if (a < 0 && Number.isFinite(b) && !Number.isInteger(b)) throw new PythonRaised("TypeError", "a negative number to a fractional power is complex");
  const r = Number.isInteger(b) && b >= 0 && b <= 64 ? exactPow(a, b) : Math.pow(a, b);
  if (!Number.isFinite(r) && Number.isFinite(a) && Number.isFinite(b)) throw new PythonRaised("OverflowError", "(34, 'Numerical result out of range')");
  return r;
}
/**
 * `a ** n` for a small whole n, correctly rounded as C's pow (which CPython calls) is and V8's
 * Math.pow is not always: a = m·2^e exactly, so a^n = m^n·2^(e·n) and one rounding remains.
 */
function exactPow(a: number, n: number): number {
  if (a === 0 || !Number.isFinite(a)) return Math.pow(a, n);
  let e = 0;
  let m = Math.abs(a);
  while (!Number.isInteger(m)) {
    m *= 2;
    e--;
  }
  const big = BigInt(m) ** BigInt(n);
  const sign = a < 0 && n % 2 === 1 ? -1 : 1;
  // Scale in two halves so neither factor under- or overflows on its own.
  const half = Math.trunc((e * n) / 2);
  return sign * Number(big) * 2 ** half * 2 ** (e * n - half);
}
/** Python's `max(a, b)` / `min(a, b)`: the first argument unless the second is strictly better. */
const pyMax = (a: number, b: number) => (b > a ? b : a);
const pyMin = (a: number, b: number) => (b < a ? b : a);
function pyInt(a: number): number {
  if (Number.isNaN(a)) throw new PythonRaised("ValueError", "cannot convert float NaN to integer");
  if (!Number.isFinite(a)) throw new PythonRaised("OverflowError", "cannot convert float infinity to integer");
  return Math.trunc(a);
}
function sqrt(a: number): number {
  if (a < 0) throw new PythonRaised("ValueError", "math domain error");
  return Math.sqrt(a);
}
function factorial(n: number): number {
  if (n < 0) throw new PythonRaised("ValueError", "factorial() not defined for negative values");
  let r = 1n;
  for (let i = 2n; i <= BigInt(n); i++) r *= i;
  return Number(r);
}
function bigFactorial(n: number): bigint {
  if (n < 0) throw new PythonRaised("ValueError", "factorial() not defined for negative values");
  if (n > 5000) throw new PythonRaised("OverflowError", "factorial too large for this emulation");
  let r = 1n;
  for (let i = 2n; i <= BigInt(n); i++) r *= i;
  return r;
}
/** Python's int / int: the correctly rounded quotient (for the factorials of `permutation`). */
function intDiv(a: bigint, b: bigint): number {
  if (b === 0n) throw new PythonRaised("ZeroDivisionError", "division by zero");
  const q = a / b;
  const r = a % b;
  if (r === 0n) return Number(q);
  // Enough bits for a correctly rounded double in every case met here (quotients of factorials).
  const scale = 1n << 64n;
  return Number((a * scale) / b) / 2 ** 64;
}
function gcd(a: number, b: number): number {
  let x = Math.abs(a);
  let y = Math.abs(b);
  while (y) [x, y] = [y, x % y];
  return x;
}
function lcm(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return Math.abs((a / gcd(a, b)) * b);
}
/** scipy.special.comb(N, k) (exact=False) for integral arguments: the binomial as a float, 0 outside 0 ≤ k ≤ N. */
function comb(n: number, k: number): number {
  if (!(k >= 0 && n >= 0 && k <= n)) return 0;
  if (!Number.isInteger(n) || !Number.isInteger(k)) throw new PythonRaised("NotImplementedError", "comb of non-integral arguments is not emulated");
  let r = 1n;
  const kk = BigInt(Math.min(k, n - k));
  const nn = BigInt(n);
  for (let i = 1n; i <= kk; i++) r = (r * (nn - kk + i)) / i;
  return Number(r);
}
function floor(a: number): number {
  if (Number.isNaN(a)) throw new PythonRaised("ValueError", "cannot convert float NaN to integer");
  if (!Number.isFinite(a)) throw new PythonRaised("OverflowError", "cannot convert float infinity to integer");
  return Math.floor(a);
}
function trig(f: (x: number) => number, a: number): number {
  if (!Number.isFinite(a)) throw new PythonRaised("ValueError", "math domain error");
  return f(a);
}

type Mode = "dsl" | "python";

/**
 * One op's value. `dsl` is trax's numeric run (`compute_single_result`); `python` is what the
 * emitted expression evaluates to. They differ only in zero-safe division and the two stream ops.
 */
function apply(name: string, args: PyValue[], mode: Mode): PyValue {
  const a = () => num(args[0], name);
  const b = () => num(args[1], name);
  const c = () => num(args[2], name);
  const safeDiv = (x: number, y: number) => (mode === "dsl" && y === 0 ? 0 : div(x, y));
  const workMin = (x: number) => pyMin(x, div(1, x));
  switch (name) {
    case "add":
      return a() + b();
    case "subtract":
      return a() - b();
    case "multiply":
      return a() * b();
    case "divide":
    case "speed":
      return safeDiv(a(), b());
    case "inverse":
      return safeDiv(1, a());
    case "negate":
      return -a();
    case "power":
      return pow(a(), pyMin(b(), 5));
    case "sqrt":
      return Math.sqrt(pyMax(0, a()));
    case "factorial":
      return factorial(pyMin(15, pyInt(a())));
    case "floor":
      return floor(a());
    case "log":
      return Math.log(pyMax(1e-5, a())) / Math.log(2);
    case "choose":
      return comb(a(), b());
    case "gcd":
      return gcd(pyInt(a()), pyInt(b()));
    case "lcm":
      return lcm(pyInt(a()), pyInt(b()));
    case "reminder":
      return mod(a(), b());
    case "max":
      return pyMax(a(), b());
    case "from_percent":
      return a() / 100;
    case "percent":
      return (a() / 100) * b();
    case "gain_percent":
      return 100 + a();
    case "loss_percent":
    case "negate_percent":
      return 100 - a();
    case "price_after_gain":
    case "p_after_gain":
      return (1 + a() / 100) * b();
    case "price_after_loss":
      return (1 - a() / 100) * b();
    case "original_price_before_gain":
      return div(b() * 100, 100 + a());
    case "original_price_before_loss":
      return div(b() * 100, 100 + 1e-5 - a());
    case "permutation": {
      const hi = pyMax(a(), b());
      const lo = pyMin(a(), b());
      return intDiv(bigFactorial(pyInt(hi)), bigFactorial(pyInt(hi - lo)));
    }
    case "combined_work":
      return div(1, workMin(a()) + workMin(b()));
    case "find_work": {
      const x = workMin(a());
      const y = workMin(b());
      return div(1, pyMax(x, y) - pyMin(x, y));
    }
    case "count_interval":
      return a() - b() + 1;
    case "speed_in_still_water":
      return mode === "dsl" ? (a() + b()) / 2 : a() + b() / 2;
    case "stream_speed":
      return mode === "dsl" ? (a() - b()) / 2 : a() - b() / 2;
    case "speed_ratio_steel_to_stream":
      return div(a() + b(), a() - b());
    case "union_prob":
      return a() + b() - c();
    case "negate_prob":
      return 1 - a();
    case "diagonal":
      return Math.sqrt(pow(a(), 2) + pow(b(), 2));
    case "circle_area":
      return Math.PI * pow(a(), 2);
    case "circumface":
      return 2 * Math.PI * a();
    case "circle_arc":
      return (((a() / 360) * Math.PI) * 2) * b();
    case "circle_sector_area":
      return ((b() / 360) * Math.PI) * pow(a(), 2);
    case "semi_circle_perimiter":
      return Math.PI * a() + 2 * a();
    case "square_area":
      return pow(a(), 2);
    case "square_perimeter":
    case "rhombus_perimeter":
      return 4 * a();
    case "square_edge_by_perimeter":
      return a() / 4;
    case "square_edge_by_area":
      return sqrt(a());
    case "rectangle_area":
      return a() * b();
    case "rectangle_perimeter":
      return 2 * (a() + b());
    case "rhombus_area":
    case "triangle_area":
      return (a() * b()) / 2;
    case "triangle_perimeter":
      return a() + b() + c();
    case "triangle_area_three_edges": {
      const s = (a() + b() + c()) / 2;
      return Math.sqrt(pyMax(0, s * (s - a()) * (s - b()) * (s - c())));
    }
    case "quadrilateral_area":
    case "trapezium_area":
      return (a() * (b() + c())) / 2;
    case "surface_cube":
      return 6 * pow(a(), 2);
    case "surface_rectangular_prism":
      return 2 * (a() * b() + a() * c() + b() * c());
    case "surface_sphere":
      return 4 * Math.PI * pow(a(), 2);
    case "volume_cube":
      return pow(a(), 3);
    case "volume_rectangular_prism":
      return a() * b() * c();
    case "volume_cylinder":
      return Math.PI * pow(a(), 2) * b();
    case "volume_cone":
      return (Math.PI * pow(a(), 2) * b()) / 3;
    case "volume_sphere":
      return ((4 / 3) * Math.PI) * pow(a(), 3);
    case "cube_edge_by_volume":
      return pow(a(), 1 / 3);
    case "sine":
      return trig(Math.sin, a());
    case "cosine":
      return trig(Math.cos, a());
    default:
      return null;
  }
}

/** Every op's value in order (the last is the answer), under trax's numeric rules or the program's. */
export function runOps(ops: readonly DslOp[], numbers: readonly number[], mode: Mode): PyValue[] {
  const results: PyValue[] = [];
  for (const op of ops) {
    const args = op.args.map((arg) => {
      if (arg.kind === "constant") return arg.value;
      const list = arg.kind === "number" ? numbers : results;
      const at = arg.index < 0 ? list.length + arg.index : arg.index;
      if (at < 0 || at >= list.length) throw new PythonRaised(arg.kind === "number" ? "IndexError" : "NameError", `${op.name}: ${arg.kind === "number" ? `n${arg.index}` : `#${arg.index}`} does not exist`);
      return list[at]!;
    });
    results.push(apply(op.name, args, mode));
  }
  return results;
}

/** The notebook's program: imports, `n<i> = …`, `t<k> = …`, then `answer = …` for the last op. */
export function emitProgram(ops: readonly DslOp[], numbers: readonly number[]): string {
  const lines = ops.map((op, k) => {
    const rendered = op.args.map((arg) => (arg.kind === "number" ? arg.text : arg.kind === "result" ? `t${arg.index}` : pyFloatRepr(arg.value)));
    const emit = EMIT[op.name];
    // An unknown op emits Python's str(None); it only survives when nothing reads it.
    return `t${k} = ${emit ? emit(rendered) : "None"}`;
  });
  let out = "";
  if (lines.some((l) => l.includes("math"))) out += "import math\n";
  if (lines.some((l) => l.includes("scipy"))) out += "import scipy\n";
  numbers.forEach((n, i) => (out += `n${i} = ${pyFloatRepr(n)}\n`));
  out += lines.slice(0, -1).join("\n");
  // The notebook takes the text between the last line's first and second `=`.
  out += `\nanswer =${lines[lines.length - 1]!.split("=")[1]}`;
  return out;
}

/** `Rationale` with surrounding `"` then `'` characters stripped (Python's strip('"').strip("'")). */
export function stripRationale(r: string): string {
  return r.replace(/^"+|"+$/g, "").replace(/^'+|'+$/g, "");
}

/** The notebook's per-problem steps 1–8 (MATHQA_PYTHON.md) with the default 1 % tolerance. */
export function convertRecord(record: MathQARecord, rtol = 0.01): Conversion {
  const drop = (reason: DropReason, detail: string): Conversion => ({ dropped: { reason, detail } });
  const numbers = extractNumbers(record.Problem);
  const gold = goldFromOptions(record.options, record.correct);
  if (gold === null) return drop("no-numeric-answer", `no number in or after option "${record.correct} )" of: ${record.options}`);
  let ops: DslOp[];
  let dsl: PyValue[];
  try {
    ops = parseLinearFormula(record.linear_formula);
    dsl = runOps(ops, numbers, "dsl");
  } catch (e) {
    if (e instanceof PythonRaised) return drop("python-error", `the DSL run raises ${e.message}`);
    throw e;
  }
  const last = dsl.length ? dsl[dsl.length - 1]! : null;
  if (gold === 0 || last === null || last === 0) {
    const unknown = ops.filter((o) => !EMIT[o.name]).map((o) => o.name);
    return drop("zero-or-no-value", gold === 0 ? "the gold value is 0" : last === 0 ? "the DSL's result is 0" : `the DSL has no value (unknown op ${unknown.join(", ") || "?"})`);
  }
  if (!isClose(gold, last, rtol)) return drop("dsl-mismatch", `the DSL gives ${pyFloatRepr(last)}, the gold value is ${pyFloatRepr(gold)}`);
  const code = emitProgram(ops, numbers);
  let answer: PyValue;
  try {
    const py = runOps(ops, numbers, "python");
    answer = py[py.length - 1]!;
  } catch (e) {
    if (e instanceof PythonRaised) return drop("python-error", `the program raises ${e.message}`);
    throw e;
  }
  if (answer === null || !isClose(gold, answer, rtol)) return drop("python-mismatch", `the program gives ${answer === null ? "None" : pyFloatRepr(answer)}, the gold value is ${pyFloatRepr(gold)}`);
  const text = `# ${record.Problem}${numbers.map((n, i) => ` n${i} = ${pyFloatRepr(n)}`).join("")}`;
  return {
    kept: {
      text,
      code,
      dsl_code: record.linear_formula,
      reasoning: stripRationale(record.Rationale),
      answer,
      gold,
      problem: record.Problem,
      options: record.options,
      correct: record.correct,
      category: record.category ?? "",
      annotated_formula: record.annotated_formula ?? "",
    },
  };
}

/** A whole MathQA file, in order; task ids are 0-based within the split, as the notebook numbers them. */
export function convertSplit(records: readonly MathQARecord[], split: Split, rtol = 0.01): SplitConversion {
  const out: SplitConversion = {
    split,
    total: records.length,
    kept: [],
    drops: [],
    counts: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>,
  };
  const seen = new Set<string>();
  for (let index = 0; index < records.length; index++) {
    const c = convertRecord(records[index]!, rtol);
    if ("dropped" in c) {
      out.drops.push({ index, ...c.dropped });
      out.counts[c.dropped.reason]++;
      continue;
    }
    if (seen.has(c.kept.text)) {
      // The notebook ends its epoch here: this problem and the rest of the file are lost.
      for (let j = index; j < records.length; j++) {
        out.drops.push({ index: j, reason: "repeated-text", detail: j === index ? "repeats an earlier problem's text; the notebook's epoch ends here" : "after the repeated text" });
        out.counts["repeated-text"]++;
      }
      break;
    }
    seen.add(c.kept.text);
    out.kept.push({ task_id: out.kept.length, split, ...c.kept });
  }
  return out;
}

// --- Running the programs here ------------------------------------------------------------------

/**
 * The published programs call `scipy.special.comb`, `scipy.gcd` and `scipy.lcm`. `scipy.gcd` and
 * `scipy.lcm` were NumPy re-exports that current SciPy no longer has, and this sandbox has no
 * SciPy at all, so a reference program's `import scipy` line is replaced by this stand-in, which
 * reproduces all 28 such test answers exactly (MATHQA_PYTHON.md, "How an answer is checked").
 */
export const SCIPY_STANDIN = [
  "# `import scipy` replaced by a stand-in: this sandbox has no SciPy, and scipy.gcd / scipy.lcm",
  "# (NumPy re-exports) are gone from current SciPy. Same values as SciPy for these programs.",
  "import math as _math, types as _types",
  "scipy = _types.SimpleNamespace(gcd=_math.gcd, lcm=_math.lcm, special=_types.SimpleNamespace(",
  "    comb=lambda n, k: 0.0 if not (0 <= k <= n) else float(_math.comb(int(n), int(k))) if n == int(n) and k == int(k)",
  "    else _math.gamma(n + 1) / (_math.gamma(k + 1) * _math.gamma(n - k + 1))))",
].join("\n");

/** The program the sandbox runs for a reference: the published one, `import scipy` replaced. */
export function runnableProgram(code: string): string {
  return code.replace(/^import scipy$/m, SCIPY_STANDIN);
}

/** The published program again (what prompts show as an example): the stand-in back to `import scipy`. */
export function publishedProgram(reference: string): string {
  return reference.replace(SCIPY_STANDIN, "import scipy");
}

// --- The generated file → tasks -----------------------------------------------------------------

const SPLITS: readonly Split[] = ["train", "validation", "test"];

function checkRecord(v: unknown, line: number): { record?: MathQAPythonRecord; problems: LineProblem[] } {
  const problems: LineProblem[] = [];
  if (typeof v !== "object" || v === null) return { problems: [{ line, message: "expected a JSON object" }] };
  const r = v as Record<string, unknown>;
  const strings = ["text", "code", "dsl_code", "reasoning", "problem", "options", "correct", "category", "annotated_formula"] as const;
  for (const f of strings) if (typeof r[f] !== "string") problems.push({ line, field: f, message: "must be a string" });
  for (const f of ["task_id", "answer", "gold"] as const) if (typeof r[f] !== "number" || !Number.isFinite(r[f])) problems.push({ line, field: f, message: "must be a finite number" });
  if (!SPLITS.includes(r.split as Split)) problems.push({ line, field: "split", message: `must be one of ${SPLITS.join(", ")}` });
  if (typeof r.code === "string" && !/^answer =/m.test(r.code)) problems.push({ line, field: "code", message: "has no `answer =` line" });
  return problems.length ? { problems } : { record: r as unknown as MathQAPythonRecord, problems };
}

/** The explorer's collapsible sections, in this order (TaskDetail shows `Task.extra`). */
export function mathqaExtra(r: MathQAPythonRecord): Record<string, string> {
  return {
    "Problem (MathQA)": r.problem,
    "DSL program (MathQA linear_formula)": r.dsl_code,
    "Python program (MathQA-Python)": r.code,
    Rationale: r.reasoning,
    "Options and gold answer": `${r.options}\ncorrect: ${r.correct} → gold ${pyFloatRepr(r.gold)}; the reference program's answer = ${pyFloatRepr(r.answer)} (scored within a relative tolerance, 1 % by default)`,
  };
}

export function mathqaTask(r: MathQAPythonRecord): Task {
  return {
    id: r.split === "test" ? String(r.task_id) : `${r.split}/${r.task_id}`,
    dataset: "mathqa-python",
    split: r.split,
    format: "mathqa",
    text: r.text,
    tests: [],
    hiddenTests: [],
    setup: "",
    reference: runnableProgram(r.code),
    answer: r.answer,
    extra: mathqaExtra(r),
  };
}

/** Set-up's `mathqa-python.jsonl` (one {@link MathQAPythonRecord} per line) → tasks. */
export function parseMathQAPythonJsonl(text: string, fileName = "mathqa-python.jsonl"): Task[] {
  const { records, problems } = parseJsonLines(text);
  const out: Task[] = [];
  for (const { line, value } of records) {
    const checked = checkRecord(value, line);
    problems.push(...checked.problems);
    if (checked.record) out.push(mathqaTask(checked.record));
  }
  if (!out.length && !problems.length) problems.push({ line: 1, message: "the file holds no tasks" });
  if (problems.length) throw new InvalidTaskFileError(fileName, problems.sort((a, b) => a.line - b.line));
  return out;
}

/** One line of the generated file (what set-up writes). */
export function toJsonl(records: readonly MathQAPythonRecord[]): string {
  return records.map((r) => JSON.stringify(r)).join("\n") + "\n";
}
