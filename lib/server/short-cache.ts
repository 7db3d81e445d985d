// A short-lived answer cache: requests within `ttlMs` of each other share one answer, and one
// computation while it runs, so many clients asking at once cost one walk of the disk.

export interface ShortCache<T> {
  /** The answer made for `key` less than ttlMs ago, or a new one from `make`. A failure is not kept. */
  get(key: string, make: () => Promise<T>): Promise<T>
}

export function createShortCache<T>(ttlMs: number, now: () => number = Date.now): ShortCache<T> {
  const entries = new Map<string, { at: number; value: Promise<T> }>()
  return {
    get(key, make) {
      const hit = entries.get(key)
      if (hit && now() - hit.at < ttlMs) return hit.value
      const value = make()
      const entry = { at: now(), value }
      entries.set(key, entry)
      value.catch(() => {
        if (entries.get(key) === entry) entries.delete(key)
      })
      return value
    },
  }
}
