// A real Prometheus (Debian's) scrapes a vega server behind its front: the server's /api/metrics with
// the admin token through the site's port, and the front's HAProxy exporter on 127.0.0.1:<metrics
// port>. After an upgrade, PromQL sees sf_build_info move to the new commit and the upgrade counted.
import assert from 'node:assert/strict'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { inspectContainer } from '../../../lib/docker/inspect.ts'
import { fetchAnswer } from '../../../lib/probe.ts'
import { requireEngine, withLogs } from '../../support/docker.ts'
import { frontRun } from '../../support/front.ts'
import { npmRun } from '../../support/npm.ts'
import { startPrometheus, type TestPrometheus } from '../../support/prometheus.ts'

const engine = await requireEngine('the metrics container tests')
if (engine) {
  describe('Prometheus scrapes the server, the front and the deployments', { timeout: 900_000 }, () => {
    const run = frontRun('metrics')
    const { scratch, sfHome, name, containers } = run
    let env: Record<string, string>
    let url: string
    let metricsPort: number
    let prometheus: TestPrometheus | undefined
    const started = Date.now() / 1000

    before(async () => {
      let port: number
      ;({ url, env, port } = await run.prepare())
      metricsPort = port + 3
      const up = npmRun(scratch.dir, 'docker:vega:up', [], env)
      assert.equal(await up.exited, 0, up.stderr())
      prometheus = await startPrometheus([
        { job: 'sf', target: `127.0.0.1:${port}`, metricsPath: '/api/metrics', tokenFile: path.join(sfHome, 'admin-token') },
        { job: 'sf-front', target: `127.0.0.1:${metricsPort}` },
      ])
    })
    after(async () => {
      await prometheus?.stop()
      await run.remove()
    })

    test("the holder publishes the front's exporter on loopback at SF_VEGA_PORT + 3, and the server's metrics want the admin token", async () => {
      const holder = await inspectContainer(`${name}-port`, process.env)
      assert.deepEqual(holder?.ports.find((p) => p.containerPort === 8405), { bind: '127.0.0.1', hostPort: metricsPort, containerPort: 8405 })
      const front = await fetchAnswer(`http://127.0.0.1:${metricsPort}/metrics`)
      assert.equal(front.status, 200)
      assert.match(front.body, /^haproxy_process_uptime_seconds \d+/m)
      assert.equal((await fetchAnswer(`${url}/api/metrics`)).status, 401)
    })

    test('sees sf_build_info move to the new commit after an upgrade, the front scraped, and the upgrade counted', async () => {
      await withLogs(containers, async () => {
        const first = scratch.head()
        assert.ok(prometheus)
        await prometheus.waitUntil(`sf_build_info{job="sf",commit="${first}"} == 1`, (s) => s.length === 1, 60_000)
        await prometheus.waitUntil('haproxy_process_uptime_seconds{job="sf-front"}', (s) => s.length === 1)
        // The scrapes of /api/metrics pass the front too, so its backend counts their answers.
        await prometheus.waitUntil('sum(haproxy_backend_http_responses_total{job="sf-front",proxy="sf",code="2xx"})', (s) => (s[0]?.value ?? 0) > 0)
        await prometheus.waitUntil('sf_http_requests_total{job="sf",route="/api/metrics",status_class="2xx"}', (s) => (s[0]?.value ?? 0) > 0)
        assert.deepEqual(await prometheus.query('sf_deploy_attempts{job="sf"}'), [], 'no history before the first upgrade')

        const second = scratch.commit('web/app/page.tsx', (t) => t.replace('export const dynamic', '// measured\nexport const dynamic'), 'a release Prometheus sees')
        const upgrade = npmRun(scratch.dir, 'docker:vega:upgrade', ['--settle', '1'], env)
        assert.equal(await upgrade.exited, 0, upgrade.stderr())
        assert.equal(await run.servedCommit(url), second)

        await prometheus.waitUntil(`sf_build_info{job="sf",commit="${second}"} == 1`, (s) => s.length === 1)
        // The old server's series is stale from the first scrape of the new one: gone from instant queries.
        await prometheus.waitUntil(`sf_build_info{job="sf",commit="${first}"}`, (s) => s.length === 0)
        assert.deepEqual((await prometheus.query('count(sf_build_info{job="sf"})')).map((s) => s.value), [1])
        await prometheus.waitUntil('sf_deploy_attempts{job="sf",action="upgrade",outcome="upgraded"}', (s) => s[0]?.value === 1)
        const [last] = await prometheus.waitUntil('sf_deploy_last_success_timestamp_seconds{job="sf",action="upgrade"}', (s) => s.length === 1)
        assert.ok(last!.value > started && last!.value <= Date.now() / 1000 + 1, `the upgrade ended during this test (${last!.value})`)
        const [duration] = await prometheus.query('sf_deploy_duration_seconds_count{job="sf",action="upgrade",outcome="upgraded"}')
        assert.equal(duration?.value, 1)
        assert.deepEqual((await prometheus.query('sf_deploy_switchbacks{job="sf"} > 0')), [], 'no switch-back')
      })
    })
  })
}
