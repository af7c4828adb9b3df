import { describe, expect, it } from "vitest";
import { answerable, nextIntake, orderIntakes, slotBody, upcoming, withAnswer } from "./schedule";

const H = 3600_000;
const now = Date.parse("2026-11-28T10:00:00Z");
const at = (ms: number) => new Date(now + ms).toISOString();

describe("slots", () => {
  it("builds start and end from the local day, time and length", () => {
    const b = slotBody("2030-03-20", "10:00", 30)!;
    expect(Date.parse(b.end) - Date.parse(b.start)).toBe(30 * 60_000);
    const local = new Date(b.start);
    expect([local.getFullYear(), local.getMonth(), local.getDate(), local.getHours(), local.getMinutes()]).toEqual([2030, 2, 20, 10, 0]);
    expect(b.start.endsWith("Z")).toBe(true);
  });

  it("refuses an incomplete form", () => {
    expect(slotBody("", "10:00", 30)).toBeNull();
    expect(slotBody("2030-03-20", "", 30)).toBeNull();
    expect(slotBody("2030-03-20", "10:00", 0)).toBeNull();
  });
});

describe("intakes", () => {
  const list = [
    { due_at: at(-26 * H), status: "taken" },
    { due_at: at(-6 * H), status: "missed" },
    { due_at: at(-2 * H), status: "pending" },
    { due_at: at(-1 * H), status: "pending" },
    { due_at: at(0.5 * H), status: "upcoming" },
    { due_at: at(4 * H), status: "upcoming" },
  ];

  it("lets the patient answer pending intakes and those due within the hour", () => {
    expect(answerable(list, now).map((i) => i.due_at)).toEqual([at(-2 * H), at(-1 * H), at(0.5 * H)]);
  });

  it("shows the answerable first, oldest first, then the past newest first; later ones are hidden", () => {
    expect(orderIntakes(list, now).map((i) => i.status)).toEqual(["pending", "pending", "upcoming", "missed", "taken"]);
  });

  it("names the next intake still ahead", () => {
    expect(nextIntake(list, now)?.due_at).toBe(at(0.5 * H));
    expect(nextIntake(list, now + 5 * H)).toBeNull();
  });

  it("applies an answer by due time, whatever the timestamp's spelling", () => {
    const due = new Date(now - 2 * H).toISOString().replace("Z", "+00:00");
    const next = withAnswer(list, { due_at: due, status: "taken" });
    expect(next.filter((i) => i.status === "taken")).toHaveLength(2);
    expect(next.filter((i) => i.status === "pending")).toHaveLength(1);
  });
});

describe("appointments", () => {
  it("keeps booked ones not yet over, soonest first", () => {
    const a = (start: number, status = "booked") => ({ status, start_time: at(start), end_time: at(start + 0.5 * H) });
    const out = upcoming([a(5 * H), a(-3 * H), a(1 * H), a(2 * H, "cancelled"), a(-0.25 * H)], now);
    expect(out.map((x) => x.start_time)).toEqual([at(-0.25 * H), at(1 * H), at(5 * H)]);
  });
});
