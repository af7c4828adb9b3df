/** The monitoring wall's order: worst NEWS2 first, then the most severe open alert, then most alerts, then name. */
export interface WallPatient {
  id: string;
  name: string;
  news2: number | null;
  alerts: { id: string; severity: string; state: string; type: string; causes?: any[] }[];
  latest: Record<string, number>;
  lastAt: number | null;
}

const RANK: Record<string, number> = { emergency: 4, critical: 3, warning: 2, info: 1 };

export function worstAlert(p: WallPatient): number {
  return p.alerts.reduce((m, a) => Math.max(m, RANK[a.severity] ?? 0), 0);
}

export function compareWall(a: WallPatient, b: WallPatient): number {
  return (b.news2 ?? -1) - (a.news2 ?? -1)
    || worstAlert(b) - worstAlert(a)
    || b.alerts.length - a.alerts.length
    || a.name.localeCompare(b.name);
}
