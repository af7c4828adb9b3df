/**
 * Appointments and treatments logic, pure: a slot's `{start, end}` from the doctor's local day,
 * time and length; which intakes the patient may answer now (the server takes an answer from
 * one hour before it is due); adherence as a fraction; upcoming vs past appointments.
 */

/** `{start, end}` in ISO 8601 (UTC) from a local `YYYY-MM-DD`, `HH:MM` and a length in minutes. */
export function slotBody(day: string, time: string, minutes: number): { start: string; end: string } | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || !/^\d{2}:\d{2}$/.test(time) || !(minutes > 0)) return null;
  const [y, mo, d] = day.split("-").map(Number);
  const [h, mi] = time.split(":").map(Number);
  const start = new Date(y, mo - 1, d, h, mi);   // the browser's own zone, the doctor's
  if (Number.isNaN(start.getTime())) return null;
  const end = new Date(start.getTime() + minutes * 60_000);
  return { start: start.toISOString(), end: end.toISOString() };
}

export const EARLY_MS = 3600_000;

export interface Intake { id?: string; due_at: string; status: string }

/** Pending intakes, and upcoming ones due within the hour: the ones the patient can answer now. */
export function answerable(intakes: Intake[], now: number): Intake[] {
  return intakes.filter((i) => i.status === "pending" || (i.status === "upcoming" && Date.parse(i.due_at) - now <= EARLY_MS));
}

/** The intake to show next: the earliest upcoming one after `now`. */
export function nextIntake(intakes: Intake[], now: number): Intake | null {
  const later = intakes.filter((i) => i.status === "upcoming" && Date.parse(i.due_at) > now)
    .sort((a, b) => Date.parse(a.due_at) - Date.parse(b.due_at));
  return later[0] ?? null;
}

/** Intakes in the order a patient reads them: the answerable first (oldest first), then the rest newest first. */
export function orderIntakes(intakes: Intake[], now: number): Intake[] {
  const open = new Set(answerable(intakes, now));
  const first = [...open].sort((a, b) => Date.parse(a.due_at) - Date.parse(b.due_at));
  const rest = intakes.filter((i) => !open.has(i) && i.status !== "upcoming").sort((a, b) => Date.parse(b.due_at) - Date.parse(a.due_at));
  return [...first, ...rest];
}

/** Replace an intake by its due time (answers come back without the schedule's id). */
export function withAnswer(intakes: Intake[], answer: Intake): Intake[] {
  const t = Date.parse(answer.due_at);
  return intakes.map((i) => (Date.parse(i.due_at) === t ? { ...i, ...answer } : i));
}

/** Appointments still ahead (or under way), soonest first. */
export function upcoming<T extends { status: string; end_time: string; start_time: string }>(list: T[], now: number): T[] {
  return list.filter((a) => a.status === "booked" && Date.parse(a.end_time) > now)
    .sort((a, b) => Date.parse(a.start_time) - Date.parse(b.start_time));
}
