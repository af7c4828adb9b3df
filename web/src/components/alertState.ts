/**
 * What a clinician may do with an alert, from its state. A retrospective alert (late data: the
 * patient *was* in that state during `measured_from`–`measured_to`, server/alerting/retrospective.py)
 * is stored closed, since it says nothing about now, yet still waits for someone to acknowledge it.
 */
export interface AlertLike { state: string; retrospective?: boolean; measured_from?: string; measured_to?: string }

/** Open: the condition is current (it can be cleared by hand). */
export function isOpen(a: AlertLike): boolean {
  return !String(a.state).startsWith("cleared");
}

/** Waiting for an acknowledgement that the list offers: a current alert, or a retrospective one. */
export function canAcknowledge(a: AlertLike): boolean {
  return a.state === "active_unacknowledged" || (a.retrospective === true && a.state === "cleared_unacknowledged");
}

/** The measured period of a retrospective alert, or null for a current one. */
export function measuredPeriod(a: AlertLike): { from: string; to: string } | null {
  return a.retrospective && a.measured_from && a.measured_to ? { from: a.measured_from, to: a.measured_to } : null;
}
