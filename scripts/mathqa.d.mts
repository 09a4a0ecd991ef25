export const MATHQA_ZIP_URL: string;
export const NORMALISED_TEST: { shared: string; url: string; sha256: string };
export const PAPER_SIZES: { train: number; validation: number; test: number };
export class MathQASetupError extends Error {}
export function unzip(bytes: Uint8Array): Map<string, Buffer>;
export function officialSplits(files: Map<string, Buffer>, url?: string): { train: unknown[]; validation: unknown[]; test: unknown[] };
export function describeConversion(c: { split: string; total: number; kept: unknown[]; counts: Record<string, number> }, paper?: number): string;
export function placeOfficial(opts: { root: string; say: (msg: string) => void; url?: string }): Promise<boolean>;
export function placeMathQA(opts: { root: string; sharedDir: string | null; say: (msg: string) => void; quiet: boolean }): Promise<void>;
