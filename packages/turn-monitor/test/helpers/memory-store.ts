import type { PersistedSummary, SummaryStore } from '../../src/store/summary-store.js';

/** Keeps saved summaries in memory and remembers each save. */
export class MemoryStore implements SummaryStore {
  readonly saves: PersistedSummary[] = [];
  constructor(private current?: PersistedSummary) {}
  async load(): Promise<PersistedSummary | undefined> {
    return this.current;
  }
  async save(summary: PersistedSummary): Promise<void> {
    this.current = structuredClone(summary);
    this.saves.push(this.current);
  }
}
