import { DEFAULT_TOLERANCE, pyEqual, tryParsePyLiteral, type Tolerance } from "./literal.ts";

/**
 * How a prediction was judged:
 * - `value`: both sides read as Python literals and were compared as values;
 * - `text`: the truth's repr is not a literal (an object, a generator) or the prediction is not
 *   one, so whitespace-normalised texts were compared (also against the string's content, for a
 *   model that answers `heo` for `'heo'`);
 * - `empty`: the model gave no answer.
 */
export type ScoreMethod = "value" | "text" | "empty";

export interface PredictionScore {
  correct: boolean;
  method: ScoreMethod;
}

const squash = (s: string) => s.replace(/\s+/g, " ").trim();

export function scorePrediction(prediction: string, truthRepr: string, tol: Tolerance = DEFAULT_TOLERANCE): PredictionScore {
  const p = prediction.trim();
  if (!p) return { correct: false, method: "empty" };
  const truth = tryParsePyLiteral(truthRepr);
  const guess = tryParsePyLiteral(p);
  if (truth && guess) return { correct: pyEqual(guess, truth, tol), method: "value" };
  const candidates = [squash(truthRepr)];
  if (truth?.t === "str") candidates.push(squash(truth.v));
  return { correct: candidates.includes(squash(p)), method: "text" };
}
