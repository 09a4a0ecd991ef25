import { getContext, setContext } from "svelte";
import { parseHash, type Route } from "./routes.ts";

export { DEFAULT_HASH, parseHash, tasksHash, type Route } from "./routes.ts";

export class Router {
  #route = $state<Route>(parseHash(location.hash));

  constructor() {
    window.addEventListener("hashchange", () => {
      this.#route = parseHash(location.hash);
    });
  }

  get route(): Route {
    return this.#route;
  }

  /** `replace` keeps typing in the search box out of the back-button history. */
  go(hash: string, { replace = false } = {}): void {
    if (hash === location.hash) return;
    if (replace) {
      history.replaceState(history.state, "", hash);
      this.#route = parseHash(hash);
    } else {
      location.hash = hash;
    }
  }
}

const KEY = Symbol("router");
export function createRouter(): Router {
  return setContext(KEY, new Router());
}
export function useRouter(): Router {
  return getContext<Router>(KEY);
}
