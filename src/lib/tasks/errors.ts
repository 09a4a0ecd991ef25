/** One problem in an input file, located so a person can find it. */
export interface LineProblem {
  /** 1-based line number (JSONL) or record index + 1 (JSON array). */
  line: number;
  /** Dotted path of the field at fault, when the line parsed. */
  field?: string;
  message: string;
}

/** A file rejected whole: nothing from it is kept. */
export class InvalidTaskFileError extends Error {
  constructor(
    readonly fileName: string,
    readonly problems: LineProblem[],
  ) {
    const first = problems.slice(0, 3).map(formatProblem).join("; ");
    const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : "";
    super(`${fileName} was not imported: ${first}${more}`);
    this.name = "InvalidTaskFileError";
  }
}

export function formatProblem(p: LineProblem): string {
  return `line ${p.line}${p.field ? `, field "${p.field}"` : ""}: ${p.message}`;
}

/** Splits JSONL into non-blank lines with their 1-based numbers; JSON errors become problems. */
export function parseJsonLines(text: string): { records: { line: number; value: unknown }[]; problems: LineProblem[] } {
  const records: { line: number; value: unknown }[] = [];
  const problems: LineProblem[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (!raw.trim()) return;
    try {
      records.push({ line: i + 1, value: JSON.parse(raw) });
    } catch (e) {
      problems.push({ line: i + 1, message: `not valid JSON (${(e as Error).message})` });
    }
  });
  return { records, problems };
}
