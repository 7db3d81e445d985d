// GET /api/metrics against the real loader and the staged web host: the admin token and the Host rule,
// the Prometheus text format, the build, the requests by route and class, the drain and the history.
import { execFileSync } from 'node:child_process'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { request } from 'undici'
import { fetchAnswer } from '../../../lib/probe.ts'
import { repoRoot } from '../../../lib/paths.ts'
import { currentWebHost } from '../../../lib/release/web-host.ts'
import { historyFile } from '../../../lib/vega/history.ts'
import { workspacesFixture } from '../../support/fixtures.ts'
import { startServer, type RunningServer } from '../../support/server.ts'

/** The value of the one sample of `name` whose labels include all of `labels`, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m || m[1] !== name) continue
    const found = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]))
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(m[3])
  }
  return undefined
}

describe('GET /api/metrics', () => {
  const fixture = workspacesFixture()
  let server: RunningServer
  let scrape: () => Promise<string>
  before(async () => {
    server = await startServer({ workspace: fixture.alpha, env: { SF_WORKSPACES_DIR: fixture.root } })
    scrape = async () => {
      const answer = await fetchAnswer(`${server.url}/api/metrics`, { headers: { authorization: `Bearer ${server.adminToken()}` } })
      assert.equal(answer.status, 200, answer.body)
      return answer.body
    }
  })
  after(() => {
    server?.kill()
    fixture.cleanup()
  })

  test('answers 401 without the admin token and 403 under a Host the server is not known by, before the token', async () => {
    assert.equal((await fetchAnswer(`${server.url}/api/metrics`)).status, 401)
    const rebound = await request(`${server.url}/api/metrics`, { headers: { host: 'attacker.example', authorization: `Bearer ${server.adminToken()}` } })
    assert.equal(rebound.statusCode, 403)
    await rebound.body.dump()
  })

  test('serves the Prometheus text format with the process metrics and the build it runs', async () => {
    const answer = await request(`${server.url}/api/metrics`, { headers: { authorization: `Bearer ${server.adminToken()}` } })
    assert.match(String(answer.headers['content-type']), /^text\/plain; version=0\.0\.4/)
    const text = await answer.body.text()
    assert.ok((sample(text, 'process_cpu_user_seconds_total') ?? -1) >= 0, 'prom-client default metrics')
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim()
    assert.equal(sample(text, 'sf_build_info', { commit: head }), 1)
    assert.equal(sample(text, 'sf_drain_phase', { phase: 'running' }), 1)
    assert.equal(sample(text, 'sf_drain_phase', { phase: 'draining' }), 0)
    assert.equal(sample(text, 'sf_work_running', { work: 'http requests' }), 1, 'the scrape itself runs')
  })

  test('counts requests by route pattern and status class, never by raw path', async () => {
    const before = await scrape()
    const count = (text: string, route: string, statusClass: string) => sample(text, 'sf_http_requests_total', { route, status_class: statusClass }) ?? 0
    for (let i = 0; i < 3; i++) assert.equal((await fetchAnswer(`${server.url}/api/healthz`)).status, 200)
    assert.equal((await fetchAnswer(`${server.url}/api/server-upgrade/x1/events`)).status, 401)
    assert.equal((await fetchAnswer(`${server.url}/no/such/page-${Date.now()}`)).status, 404)
    const after = await scrape()
    assert.equal(count(after, '/api/healthz', '2xx') - count(before, '/api/healthz', '2xx'), 3)
    assert.equal(count(after, '/api/server-upgrade/[id]/events', '4xx') - count(before, '/api/server-upgrade/[id]/events', '4xx'), 1)
    assert.equal(count(after, 'other', '4xx') - count(before, 'other', '4xx'), 1)
    assert.doesNotMatch(after, /no\/such\/page/)
    // Next renders _not-found for it and keeps that page in memory, never in the staged build, whose
    // files publish-image checks against the digest recorded when it was built.
    await currentWebHost(path.join(repoRoot, 'dist', 'web', 'standalone'), { verifyDigest: true })
  })

  test('serves the deployments of its site from SF_HOME\'s history, read at scrape time', async () => {
    assert.equal(sample(await scrape(), 'sf_deploy_attempts'), undefined, 'no history, no deployment figures')
    const entry = {
      at: '2026-11-27T10:00:00.000Z',
      by: 'deploy@vega (pid 4242)',
      action: 'upgrade',
      name: 'sf-server-vega',
      from: null,
      to: { commit: 'b'.repeat(40), buildId: '20261127T111500Z-bbbbbbbbbbbb-cafe', imageId: `sha256:${'2'.repeat(64)}` },
      phases: { build: 20_000, swap: 5_000 },
      outcome: 'upgraded',
      rollback: null,
      error: null,
    }
    fs.mkdirSync(path.dirname(historyFile(server.sfHome)), { recursive: true })
    fs.writeFileSync(historyFile(server.sfHome), [entry, { ...entry, at: '2026-11-27T11:00:00.000Z', outcome: 'rolled-back' }].map((e) => JSON.stringify(e)).join('\n') + '\n')
    // The history is read at most every 5 s.
    let text = ''
    const deadline = Date.now() + 10_000
    while (sample((text = await scrape()), 'sf_deploy_attempts', { action: 'upgrade', outcome: 'upgraded' }) !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250))
    assert.equal(sample(text, 'sf_deploy_attempts', { action: 'upgrade', outcome: 'upgraded' }), 1)
    assert.equal(sample(text, 'sf_deploy_attempts', { action: 'upgrade', outcome: 'failed' }), 0)
    assert.equal(sample(text, 'sf_deploy_switchbacks', { reason: 'probes' }), 1)
    assert.equal(sample(text, 'sf_deploy_duration_seconds_count', { action: 'upgrade', outcome: 'upgraded' }), 1)
    assert.equal(sample(text, 'sf_deploy_duration_seconds_sum', { action: 'upgrade', outcome: 'upgraded' }), 25)
    assert.equal(sample(text, 'sf_deploy_last_success_timestamp_seconds', { action: 'upgrade' }), Date.parse('2026-11-27T10:00:00.000Z') / 1000 + 25)
  })
})
