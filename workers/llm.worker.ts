/// <reference lib="webworker" />
// web-llm's own handler owns this worker's onmessage (so no comlink here); the page talks to it
// through WebWorkerMLCEngine (src/lib/engines/webllm.ts, createWebWorkerWebLLM).
import { WebWorkerMLCEngineHandler } from "@mlc-ai/web-llm";

declare const self: DedicatedWorkerGlobalScope;

const handler = new WebWorkerMLCEngineHandler();
self.onmessage = (message: MessageEvent) => handler.onmessage(message);
