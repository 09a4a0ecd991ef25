import { InvalidRequestError } from "./errors.ts";
import type { GenerateRequest } from "./types.ts";

/** Checks the sampling parameters every engine needs; throws InvalidRequestError. */
export function validateRequest(req: GenerateRequest): void {
  const bad = (field: string, problem: string) => {
    throw new InvalidRequestError(field, problem);
  };
  if (!(Number.isFinite(req.temperature) && req.temperature >= 0)) bad("temperature", `must be 0 or more (got ${req.temperature}).`);
  if (!(req.topP > 0 && req.topP <= 1)) bad("top_p", `must be in (0, 1] (got ${req.topP}).`);
  if (!(Number.isInteger(req.maxTokens) && req.maxTokens > 0)) bad("max_tokens", `must be a positive whole number (got ${req.maxTokens}).`);
  if (!Number.isSafeInteger(req.seed)) bad("seed", `must be a whole number (got ${req.seed}).`);
  if (!(Number.isFinite(req.repetitionPenalty) && req.repetitionPenalty > 0)) bad("repetition_penalty", `must be more than 0 (got ${req.repetitionPenalty}); 1 means none.`);
  if (!Array.isArray(req.stop) || req.stop.some((s) => typeof s !== "string" || s === "")) bad("stop", "must be a list of non-empty strings.");
  if (req.prompt.kind === "chat" && req.prompt.messages.length === 0) bad("messages", "must hold at least one message.");
}
