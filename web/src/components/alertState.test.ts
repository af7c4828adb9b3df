import { describe, expect, it } from "vitest";
import { canAcknowledge, isOpen, measuredPeriod } from "./alertState";

const from = "2026-11-28T08:00:00Z";
const to = "2026-11-28T08:02:00Z";

describe("alert actions", () => {
  it.each([
    // state, retrospective, open, can acknowledge
    ["active_unacknowledged", false, true, true],
    ["active_acknowledged", false, true, false],
    ["cleared_unacknowledged", false, false, false],
    ["cleared_acknowledged", false, false, false],
    // late data: closed (it says nothing about now) but still to acknowledge
    ["cleared_unacknowledged", true, false, true],
    ["cleared_acknowledged", true, false, false],
  ])("%s retrospective=%s", (state, retrospective, open, ack) => {
    const a = { state, retrospective };
    expect([isOpen(a), canAcknowledge(a)]).toEqual([open, ack]);
  });

  it("gives the measured period of a retrospective alert only", () => {
    expect(measuredPeriod({ state: "cleared_unacknowledged", retrospective: true, measured_from: from, measured_to: to }))
      .toEqual({ from, to });
    expect(measuredPeriod({ state: "active_unacknowledged", measured_from: from, measured_to: to })).toBeNull();
  });
});
