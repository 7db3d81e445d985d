// The requests this process answered, by route and status class, for /api/metrics. Counted once per
// request as it ends (web/server/requests.ts), so the work per request is a map lookup and an
// increment. A route is the app's route pattern, never the raw path: a client choosing paths cannot
// grow the label set, and every path the app does not route counts as `other`.

/** Every route the app serves (web/app), by its pattern; test/unit/server/request-counts.test.ts holds it to the folders. */
export const routePatterns = [
  '/',
  '/api/controller',
  '/api/drain',
  '/api/events',
  '/api/healthz',
  '/api/hold',
  '/api/metrics',
  '/api/projects',
  '/api/ready',
  '/api/server-upgrade',
  '/api/server-upgrade/[id]/events',
  '/api/server-upgrade/rollback',
  '/api/version',
] as const

/** Next's own assets (scripts, styles), one label for all. */
const assetsRoute = '/_next'
const otherRoute = 'other'

export type RouteLabel = (typeof routePatterns)[number] | typeof assetsRoute | typeof otherRoute
export const routeLabels: readonly RouteLabel[] = [...routePatterns, assetsRoute, otherRoute]

/** `none`: the client went away before any answer was started. */
export const statusClasses = ['1xx', '2xx', '3xx', '4xx', '5xx', 'none'] as const
export type StatusClass = (typeof statusClasses)[number]

const exact = new Map<string, RouteLabel>(routePatterns.filter((p) => !p.includes('[')).map((p) => [p, p]))
const upgradePrefix = '/api/server-upgrade/'
const eventsSuffix = '/events'

/** The route label of a request path (without its query). */
export function routeOf(path: string): RouteLabel {
  const known = exact.get(path)
  if (known) return known
  // /api/server-upgrade/<id>/events: one path segment, not empty, between the two.
  const idEnd = path.length - eventsSuffix.length
  if (idEnd > upgradePrefix.length && path.startsWith(upgradePrefix) && path.endsWith(eventsSuffix) && path.indexOf('/', upgradePrefix.length) === idEnd) {
    return '/api/server-upgrade/[id]/events'
  }
  return path.startsWith('/_next/') ? assetsRoute : otherRoute
}

/** The index of a status's class in statusClasses; null (no answer started) is `none`. */
export function statusClassIndex(status: number | null): number {
  if (status === null || status < 100 || status > 599) return statusClasses.length - 1
  return Math.floor(status / 100) - 1
}

export interface RequestCount {
  route: RouteLabel
  statusClass: StatusClass
  count: number
}

export interface RequestCounter {
  /** Count one request that ended; `status` is the status sent, or null when no answer was started. */
  count(path: string, status: number | null): void
  /** Every route and class counted at least once. */
  counts(): RequestCount[]
}

export function createRequestCounter(): RequestCounter {
  // One row per route, allocated once: counting allocates nothing.
  const rows = new Map<RouteLabel, number[]>(routeLabels.map((route) => [route, statusClasses.map(() => 0)]))
  return {
    count(path, status) {
      rows.get(routeOf(path))![statusClassIndex(status)]! += 1
    },
    counts() {
      const found: RequestCount[] = []
      for (const [route, row] of rows) {
        row.forEach((count, i) => {
          if (count > 0) found.push({ route, statusClass: statusClasses[i]!, count })
        })
      }
      return found
    },
  }
}

const key = Symbol.for('sf.request-counts')

/** The counter of this process, on globalThis: the request gate and the metrics route are bundled apart. */
export function processRequestCounter(): RequestCounter {
  const g = globalThis as { [key]?: RequestCounter }
  g[key] ??= createRequestCounter()
  return g[key]
}
