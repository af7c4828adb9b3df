/**
 * Patient names a doctor can know: those of their care units' patients (unit summaries carry
 * names). Patients known only through a grant show a short id: the server exposes no name
 * for them yet (reported as missing).
 */
import { useEffect, useState } from "react";
import { api, session } from "../../api/http";

// Per signed-in user: another doctor signing in on this tab must not see these names.
let cache: Promise<Record<string, string>> | null = null;
let cachedFor: string | undefined;

export function loadNames(): Promise<Record<string, string>> {
  if (cachedFor !== session.user?.sub) { cache = null; cachedFor = session.user?.sub; }
  cache ??= (async () => {
    const out: Record<string, string> = {};
    const units = await api.get<any[]>("/api/care-units/").catch(() => []);
    for (const u of units) {
      const s = await api.get(`/api/care-units/${u.id}/summary`).catch(() => null);
      for (const p of s?.patients ?? []) if (p.name) out[p.id] = p.name;
    }
    return out;
  })();
  cache.catch(() => { cache = null; });
  return cache;
}

export function usePatientNames(): (id: string) => string {
  const [names, setNames] = useState<Record<string, string>>({});
  useEffect(() => { let live = true; loadNames().then((n) => live && setNames(n)); return () => { live = false; }; }, []);
  return (id: string) => names[id] ?? id.slice(0, 8);
}
