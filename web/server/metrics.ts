// What GET /api/metrics serves, in the Prometheus text format through prom-client: the process (its
// default metrics), the requests by route and status class, the drain, the build, and the deployments
// from SF_HOME's history. Every figure is read when Prometheus scrapes, from the state the server keeps
// anyway; nothing here runs per request. One registry per process, on globalThis as the drain is.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { processDrain } from '../../lib/server/drain.ts'
import { processRequestCounter } from '../../lib/server/request-counts.ts'
import { createShortCache } from '../../lib/server/short-cache.ts'
import { readDeployFigures, switchBackReasons, type DeployFigures } from '../../lib/vega/deploy-metrics.ts'
import { serverContext } from './context.ts'

/** Scrapes within this share one read of the history: Prometheus every second costs one read in five. */
const historyTtlMs = 5000

/** Upgrades take from seconds (a small change) to the drain cap (600 s) and more. */
const durationBuckets = [5, 10, 20, 30, 60, 120, 300, 600, 1200]

const key = Symbol.for('sf.metrics')

export function metricsRegistry(): Registry {
  const g = globalThis as { [key]?: Registry }
  g[key] ??= createRegistry()
  return g[key]
}

function createRegistry(): Registry {
  const registers = [new Registry()]
  const [registry] = registers as [Registry]
  collectDefaultMetrics({ register: registry })

  new Counter({
    name: 'sf_http_requests_total',
    help: 'Requests answered, by route pattern (other: any path the app does not route) and status class (none: the client left before an answer began).',
    labelNames: ['route', 'status_class'],
    registers,
    collect() {
      this.reset()
      for (const c of processRequestCounter().counts()) this.inc({ route: c.route, status_class: c.statusClass }, c.count)
    },
  })
  new Gauge({
    name: 'sf_drain_phase',
    help: 'The drain phase: 1 for the phase the server is in (running, draining), 0 for the other.',
    labelNames: ['phase'],
    registers,
    collect() {
      const { phase } = processDrain().snapshot()
      for (const p of ['running', 'draining'] as const) this.set({ phase: p }, p === phase ? 1 : 0)
    },
  })
  new Gauge({
    name: 'sf_work_running',
    help: 'Work the drain waits for, by kind (http requests, and any registered participant).',
    labelNames: ['work'],
    registers,
    collect() {
      this.reset()
      const { active } = processDrain().snapshot()
      this.set({ work: 'http requests' }, 0)
      for (const [work, count] of Object.entries(active)) this.set({ work }, count)
    },
  })
  new Gauge({
    name: 'sf_build_info',
    help: 'The build this server runs, from its release manifest: always 1. digest: the image digest, empty when the deployer knows none.',
    labelNames: ['commit', 'build_id', 'digest'],
    registers,
    collect() {
      this.reset()
      const { manifest, config } = serverContext()
      if (manifest) this.set({ commit: manifest.git.commit, build_id: manifest.webHost.buildId, digest: config.SF_IMAGE_DIGEST ?? manifest.image.digest ?? '' }, 1)
    },
  })
  registerDeployMetrics(registers)
  return registry
}

/** The deployments of this server's site (SF_VEGA_NAME) from the history; none when SF_HOME has no history. */
function registerDeployMetrics(registers: Registry[]): void {
  const cache = createShortCache<DeployFigures | null>(historyTtlMs)
  const figures = () => {
    const { config } = serverContext()
    return cache.get('history', () => readDeployFigures(config.SF_HOME, config.SF_VEGA_NAME))
  }
  new Gauge({
    name: 'sf_deploy_attempts',
    help: 'Upgrade and rollback attempts recorded in SF_HOME/vega/history.jsonl, by action and outcome.',
    labelNames: ['action', 'outcome'],
    registers,
    async collect() {
      this.reset()
      for (const a of (await figures())?.attempts ?? []) this.set({ action: a.action, outcome: a.outcome }, a.count)
    },
  })
  new Histogram({
    name: 'sf_deploy_duration_seconds',
    help: 'How long each recorded attempt took (the sum of its phases), by action and outcome.',
    labelNames: ['action', 'outcome'],
    buckets: durationBuckets,
    registers,
    async collect() {
      this.reset()
      for (const d of (await figures())?.durations ?? []) this.observe({ action: d.action, outcome: d.outcome }, d.seconds)
    },
  })
  new Gauge({
    name: 'sf_deploy_switchbacks',
    help: 'Upgrades the front switched back to the old server, by reason: the rule of the first failing verdict of the traffic analysis (5xx, errors, latency), else probes.',
    labelNames: ['reason'],
    registers,
    async collect() {
      this.reset()
      const found = await figures()
      if (found) for (const reason of switchBackReasons) this.set({ reason }, found.switchBacks[reason])
    },
  })
  new Gauge({
    name: 'sf_deploy_last_success_timestamp_seconds',
    help: 'When the last successful attempt ended (upgrade: upgraded; rollback: rolled back), in Unix seconds.',
    labelNames: ['action'],
    registers,
    async collect() {
      this.reset()
      for (const [action, at] of Object.entries((await figures())?.lastSuccess ?? {})) this.set({ action }, at)
    },
  })
}
