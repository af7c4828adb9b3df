/**
 * A time window of samples for a live chart: appends in time order (an out-of-order sample is
 * inserted in place, a duplicate timestamp replaces), drops what is older than the window, and
 * hands uPlot its columnar arrays `[xs, ys]` (seconds). Bounded by `max` samples as well.
 */
export class SeriesBuffer {
  private t: number[] = [];
  private v: (number | null)[] = [];

  constructor(public windowS: number, public max = 5000) {}

  get length() { return this.t.length; }

  push(tSeconds: number, value: number | null): void {
    const n = this.t.length;
    if (n === 0 || tSeconds > this.t[n - 1]) {
      this.t.push(tSeconds);
      this.v.push(value);
    } else {
      let i = n - 1;
      while (i >= 0 && this.t[i] > tSeconds) i--;
      if (i >= 0 && this.t[i] === tSeconds) this.v[i] = value;
      else { this.t.splice(i + 1, 0, tSeconds); this.v.splice(i + 1, 0, value); }
    }
    this.trim(this.t[this.t.length - 1]);
  }

  /** Drop samples older than `now - window` (and beyond `max`). */
  trim(nowS: number): void {
    const cutoff = nowS - this.windowS;
    let k = 0;
    while (k < this.t.length && this.t[k] < cutoff) k++;
    k = Math.max(k, this.t.length - this.max);
    if (k > 0) { this.t.splice(0, k); this.v.splice(0, k); }
  }

  replace(points: [number, number | null][]): void {
    this.t = []; this.v = [];
    for (const [t, v] of points.sort((a, b) => a[0] - b[0])) this.push(t, v);
  }

  data(): [number[], (number | null)[]] {
    return [this.t.slice(), this.v.slice()];
  }

  last(): [number, number | null] | null {
    return this.t.length ? [this.t[this.t.length - 1], this.v[this.v.length - 1]] : null;
  }
}

/**
 * Coalesces bursts of updates into one per animation frame: the monitoring wall receives
 * 50 patients × 1 reading/s; React renders once per frame with everything that arrived.
 */
export class FrameBatcher<T> {
  private pending: T[] = [];
  private scheduled = false;

  constructor(private flush: (batch: T[]) => void,
              private schedule: (fn: () => void) => void = (fn) => requestAnimationFrame(() => fn())) {}

  add(item: T): void {
    this.pending.push(item);
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(() => {
        this.scheduled = false;
        const batch = this.pending;
        this.pending = [];
        if (batch.length) this.flush(batch);
      });
    }
  }
}
