/**
 * A full disk on demand. Filling a real browser's quota takes gigabytes and minutes, so the e2e
 * suite (through `playground.runStorage` in devtools.ts) and the unit tests make the run store's
 * writes fail the way a full disk does: with a `QuotaExceededError` DOMException.
 */
export class StorageFaults {
  #full = false;
  #failAfter = 0;

  /** The disk fills up after `afterWrites` more successful writes (0: now). */
  fill(afterWrites = 0): void {
    this.#failAfter = Math.max(0, Math.floor(afterWrites));
    this.#full = true;
  }

  /** Space is free again. */
  free(): void {
    this.#full = false;
    this.#failAfter = 0;
  }

  get full(): boolean {
    return this.#full && this.#failAfter === 0;
  }

  /** `RunStoreOptions.beforeWrite`. */
  readonly check = (store: string): void => {
    if (!this.#full) return;
    if (this.#failAfter > 0) {
      this.#failAfter--;
      return;
    }
    throw new DOMException(`simulated full disk while writing to "${store}"`, "QuotaExceededError");
  };
}
