/**
 * Display names for user ids, fetched in batches from `GET /api/people/names` and cached for the
 * signed-in user. The server answers only for people the user has a care relation with; an id it
 * leaves out is remembered as unknown (shown as a short id) until `forget()` (e.g. after a new
 * grant), so a screen never asks for it in a loop. Ids wanted in one tick go in one request.
 */

export type Fetcher = (ids: string[]) => Promise<Record<string, string>>;
export const MAX_BATCH = 200;

export class NameStore {
  private names = new Map<string, string | null>(); // null: asked, the server gave no name
  private queued = new Set<string>();
  private inflight = new Set<string>();
  private listeners = new Set<() => void>();
  private scheduled = false;

  constructor(private fetcher: Fetcher, private schedule: (fn: () => void) => void = (fn) => setTimeout(fn, 0)) {}

  /** The name, or undefined while unknown. */
  get(id: string): string | undefined {
    return this.names.get(id) ?? undefined;
  }

  /** A name to show: the name, else the id's first 8 characters. */
  label(id: string): string {
    return this.get(id) ?? id.slice(0, 8);
  }

  /** Ask for these ids (those not cached nor on their way are fetched on the next tick). */
  want(ids: Iterable<string>): void {
    for (const id of ids) {
      if (id && !this.names.has(id) && !this.inflight.has(id)) this.queued.add(id);
    }
    if (this.queued.size && !this.scheduled) {
      this.scheduled = true;
      this.schedule(() => { this.scheduled = false; void this.flush(); });
    }
  }

  /** Names known from elsewhere (a conversation's `other.name`, a unit summary). */
  seed(names: Record<string, string>): void {
    let changed = false;
    for (const [id, name] of Object.entries(names)) {
      if (name && this.names.get(id) !== name) { this.names.set(id, name); changed = true; }
    }
    if (changed) this.emit();
  }

  /** Ask again for ids the server gave no name for (a relation may exist now). */
  forget(): void {
    for (const [id, name] of [...this.names]) if (name === null) this.names.delete(id);
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => { this.listeners.delete(fn); };
  }

  private emit(): void {
    this.listeners.forEach((fn) => fn());
  }

  private async flush(): Promise<void> {
    const ids = [...this.queued];
    this.queued.clear();
    for (let i = 0; i < ids.length; i += MAX_BATCH) {
      const batch = ids.slice(i, i + MAX_BATCH);
      batch.forEach((id) => this.inflight.add(id));
      try {
        const got = await this.fetcher(batch);
        for (const id of batch) this.names.set(id, got[id] ?? null);
        this.emit();
      } catch {
        // A failed request (offline): nothing cached, the next want() asks again.
      } finally {
        batch.forEach((id) => this.inflight.delete(id));
      }
    }
  }
}
