/**
 * Addresses (IP + port) whose datagrams are ignored (§16.2): nodes that answered a find/get
 * without a token. Bounded: the oldest entry is forgotten first.
 */
export class Blacklist {
  private readonly entries = new Set<string>();

  constructor(private readonly max: number) {}

  private static key(address: string, port: number): string {
    return `${address}|${port}`;
  }

  add(address: string, port: number): void {
    const key = Blacklist.key(address, port);
    if (this.entries.has(key)) return;
    if (this.entries.size >= this.max) {
      const oldest = this.entries.values().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.add(key);
  }

  has(address: string, port: number): boolean {
    return this.entries.size !== 0 && this.entries.has(Blacklist.key(address, port));
  }

  get size(): number {
    return this.entries.size;
  }
}
