/** The app-wide name store (one per signed-in user) and the hook screens use. */
import { useEffect, useReducer } from "react";
import { api, qs, session } from "../api/http";
import { NameStore } from "./store";

let store: NameStore | null = null;
let storeFor: string | undefined;

/** The store of the signed-in user: another user signing in on this tab starts empty. */
export function names(): NameStore {
  if (!store || storeFor !== session.user?.sub) {
    storeFor = session.user?.sub;
    store = new NameStore(async (ids) => (await api.get(`/api/people/names${qs({ ids: ids.join(",") })}`)).names ?? {});
  }
  return store;
}

/**
 * `nameOf(id)`: the person's name once known, a short id meanwhile. Asking is deferred to the
 * store's next tick (batched, never during render), and the component re-renders when names arrive.
 */
export function useNames(): (id: string | null | undefined) => string {
  const s = names();
  const [, rerender] = useReducer((x: number) => x + 1, 0);
  useEffect(() => s.subscribe(rerender), [s]);
  return (id) => {
    if (!id) return "—";
    if (s.get(id) === undefined) s.want([id]);
    return s.label(id);
  };
}
