/**
 * A cache's objects by the values a function gives each (client-go's Indexers): what
 * would otherwise be a scan of every object for each lookup. With 10,000 objects and a
 * lookup per reconcile and per watch event, the scans were most of the operator's CPU.
 */
export class Index<T> {
  private readonly byValue = new Map<string, Map<string, T>>();
  private readonly valuesOf = new Map<string, readonly string[]>();

  constructor(private readonly values: (object: T) => readonly string[]) {}

  set(key: string, object: T): void {
    this.delete(key);
    const values = this.values(object);
    this.valuesOf.set(key, values);
    for (const value of values) {
      let objects = this.byValue.get(value);
      if (!objects) this.byValue.set(value, (objects = new Map()));
      objects.set(key, object);
    }
  }

  delete(key: string): void {
    for (const value of this.valuesOf.get(key) ?? []) {
      const objects = this.byValue.get(value);
      objects?.delete(key);
      if (objects?.size === 0) this.byValue.delete(value);
    }
    this.valuesOf.delete(key);
  }

  get(value: string): T[] {
    return [...(this.byValue.get(value)?.values() ?? [])];
  }
}
