// A bounded map that forgets the least recently used key. Map keeps insertion order, so
// re-inserting on every hit makes the first key the coldest.
export interface Lru<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): void;
  delete(key: K): void;
  readonly size: number;
}

export const createLru = <K, V>(maxSize: number): Lru<K, V> => {
  const entries = new Map<K, V>();
  return {
    get: (key) => {
      const value = entries.get(key);
      if (value !== undefined) {
        entries.delete(key);
        entries.set(key, value);
      }
      return value;
    },
    set: (key, value) => {
      entries.delete(key);
      entries.set(key, value);
      if (entries.size > maxSize) {
        const coldest = entries.keys().next();
        if (coldest.done !== true) entries.delete(coldest.value);
      }
    },
    delete: (key) => {
      entries.delete(key);
    },
    get size() {
      return entries.size;
    },
  };
};
