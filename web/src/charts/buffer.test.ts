import { describe, expect, it } from "vitest";
import { FrameBatcher, SeriesBuffer } from "./buffer";

describe("SeriesBuffer", () => {
  it("keeps only the window (15 min) ending at the newest sample", () => {
    const b = new SeriesBuffer(900);
    for (let t = 0; t <= 2000; t += 100) b.push(t, t / 10);
    const [xs, ys] = b.data();
    expect(xs[0]).toBe(1100);
    expect(xs.at(-1)).toBe(2000);
    expect(ys[0]).toBe(110);
    expect(xs).toHaveLength(10);
  });

  it("inserts a late sample in place and replaces a duplicate timestamp", () => {
    const b = new SeriesBuffer(900);
    b.push(10, 1); b.push(30, 3); b.push(20, 2); b.push(30, 33);
    expect(b.data()).toEqual([[10, 20, 30], [1, 2, 33]]);
  });

  it("drops a sample older than the window", () => {
    const b = new SeriesBuffer(60);
    b.push(1000, 1);
    b.push(900, 0);
    expect(b.data()).toEqual([[1000], [1]]);
  });

  it("is bounded in samples as well as in time", () => {
    const b = new SeriesBuffer(1e9, 100);
    for (let t = 0; t < 1000; t++) b.push(t, t);
    expect(b.length).toBe(100);
    expect(b.data()[0][0]).toBe(900);
  });

  it("trim(now) ages samples out when no new one arrives", () => {
    const b = new SeriesBuffer(900);
    b.push(0, 1); b.push(500, 2);
    b.trim(1000);
    expect(b.data()).toEqual([[500], [2]]);
  });

  it("data() is a copy: uPlot may keep it while the buffer moves on", () => {
    const b = new SeriesBuffer(900);
    b.push(1, 1);
    const d = b.data();
    b.push(2, 2);
    expect(d[0]).toEqual([1]);
  });
});

describe("FrameBatcher", () => {
  it("delivers everything added during a frame in one flush, in order", () => {
    const frames: (() => void)[] = [];
    const flushed: number[][] = [];
    const fb = new FrameBatcher<number>((batch) => flushed.push(batch), (fn) => frames.push(fn));
    for (let i = 0; i < 50; i++) fb.add(i);
    expect(frames).toHaveLength(1);
    frames.shift()!();
    fb.add(50);
    frames.shift()!();
    expect(flushed).toEqual([Array.from({ length: 50 }, (_, i) => i), [50]]);
  });
});
