// SF_VEGA_FRONT=haproxy against the real engine and a real HAProxy: the front owns the port, and an
// upgrade moves keep-alive traffic to the proven candidate without one failed request. Per-run names,
// ports and folders; the front's image is built here from this host's haproxy, so nothing is pulled.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { startLoad } from '../../../lib/bench/load.ts'
import { docker } from '../../../lib/docker/engine.ts'
import { inspectContainer } from '../../../lib/docker/inspect.ts'
import { fetchAnswer, waitFor } from '../../../lib/probe.ts'
import { frontDir, frontFiles } from '../../../lib/front/definition.ts'
import { readSlots } from '../../../lib/front/runtime-api.ts'
import { readHistory } from '../../../lib/vega/history.ts'
import { readReleases } from '../../../lib/vega/releases.ts'
import { containerNames, requireEngine, withLogs } from '../../support/docker.ts'
import { engineProxy } from '../../support/engine-proxy.ts'
import { frontRun } from '../../support/front.ts'
import { npmRun } from '../../support/npm.ts'

const readyRoute = 'web/app/api/ready/route.ts'
const readyLine = '  return json(result, result.ready ? 200 : 503)'

/** A Server-Sent Events reader: the next event of a type, and when the server ended the stream. */
async function openEvents(url: string) {
  const controller = new AbortController()
  const response = await fetch(url, { signal: controller.signal })
  assert.equal(response.status, 200)
  const events: { event: string; data: Record<string, unknown> }[] = []
  const waiting: { event: string; resolve: (data: Record<string, unknown>) => void }[] = []
  const ended = (async () => {
    const decoder = new TextDecoder()
    let buffer = ''
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true })
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const event = /^event: (.*)$/m.exec(block)?.[1]
        const data = /^data: (.*)$/m.exec(block)?.[1]
        if (!event || !data) continue
        const parsed = { event, data: JSON.parse(data) as Record<string, unknown> }
        const waiter = waiting.find((w) => w.event === event)
        if (waiter) (waiting.splice(waiting.indexOf(waiter), 1), waiter.resolve(parsed.data))
        else events.push(parsed)
      }
    }
  })().catch(() => {})
  return {
    next(event: string): Promise<Record<string, unknown>> {
      const seen = events.findIndex((e) => e.event === event)
      if (seen >= 0) return Promise.resolve(events.splice(seen, 1)[0]!.data)
      return new Promise((resolve) => waiting.push({ event, resolve }))
    },
    ended,
    close: () => controller.abort(),
  }
}

const engine = await requireEngine('the front proxy container tests')
if (engine) {
  describe('SF_VEGA_FRONT=haproxy', { timeout: 900_000 }, () => {
    const run = frontRun('front')
    const { scratch, sfHome, name, containers } = run
    const files = frontFiles(frontDir(sfHome, name))
    let env: Record<string, string>
    let url: string

    const upgrade = (...args: string[]) => npmRun(scratch.dir, 'docker:vega:upgrade', ['--json', ...args], env)
    const servedCommit = () => run.servedCommit(url)

    /** Exactly prod, the front and its port holder are left, prod's slot is the only one the front routes to, and it is up. */
    const assertOneReadyServer = async () => {
      assert.deepEqual((await containerNames(`name=^${name}`)).sort(), [name, `${name}-front`, `${name}-port`])
      const slots = await readSlots(files.socket)
      const routed = slots.filter((s) => !s.maint && !s.draining)
      assert.equal(routed.length, 1, JSON.stringify(slots))
      assert.ok(routed[0]!.up)
      assert.equal((await fetchAnswer(`${url}/api/ready`)).status, 200)
    }

    before(async () => {
      ;({ url, env } = await run.prepare())
      const up = npmRun(scratch.dir, 'docker:vega:up', [], env)
      assert.equal(await up.exited, 0, up.stderr())
    })
    after(() => run.remove())

    test('the holder owns the port and the front serves it from the holder\'s namespace; the server publishes only its loopback probe port; the admin socket is a 0600 file, never TCP', async () => {
      const holder = await inspectContainer(`${name}-port`, process.env)
      const port = Number(new URL(url).port)
      assert.deepEqual(holder?.ports, [{ bind: '127.0.0.1', hostPort: port, containerPort: 4000 }, { bind: '127.0.0.1', hostPort: port + 3, containerPort: 8405 }])
      const front = await inspectContainer(`${name}-front`, process.env)
      assert.deepEqual(front?.ports, [], 'the front publishes nothing itself')
      const mode = (await docker(['inspect', '--format', '{{.HostConfig.NetworkMode}}', `${name}-front`], { env: process.env })).stdout.trim()
      assert.match(mode, /^container:[0-9a-f]{64}$/)
      assert.equal(mode.slice('container:'.length), (await inspectContainer(`${name}-port`, process.env))?.id)
      const server = await inspectContainer(name, process.env)
      assert.ok(server?.ports.every((p) => p.hostPort !== Number(new URL(url).port)), 'the server does not publish the prod port')
      const socket = fs.statSync(files.socket)
      assert.ok(socket.isSocket())
      assert.equal(socket.mode & 0o777, 0o600)
      assert.equal(fs.statSync(path.dirname(files.socket)).mode & 0o777, 0o700)
      const config = fs.readFileSync(files.config, 'utf8')
      assert.match(config, /stats socket "\S+admin-\$\{SF_FRONT_ID\}\.sock" mode 600 level admin/)
      assert.doesNotMatch(config, /stats socket (ipv4@|ipv6@|\d|:)/, 'no stats socket on TCP')
      assert.equal((await fetchAnswer(`${url}/api/ready`)).status, 200)
    })

    test('an upgrade under keep-alive load fails no request, and a slow request on the old server gets 200', async () => {
      await withLogs(containers, async () => {
        const token = fs.readFileSync(path.join(sfHome, 'admin-token'), 'utf8').trim()
        const commit = scratch.commit('web/app/page.tsx', (t) => t.replace('export const dynamic', '// through the front\nexport const dynamic'), 'a release through the front')
        const load = startLoad({ url, clients: 8, path: '/api/healthz', errorPauseMs: 5, timeoutMs: 30_000, now: () => performance.now() })
        const run = upgrade('--settle', '2')
        await run.waitFor((e) => e.event === 'phase-start' && String(e.phase).startsWith(`probe ${name}-candidate`))
        const slow = fetchAnswer(`${url}/api/hold?ms=4000`, { headers: { authorization: `Bearer ${token}` }, timeoutMs: 60_000 })
        assert.equal(await run.exited, 0, run.stderr())
        const samples = await load.stop()
        const failed = samples.filter((s) => s.outcome !== 200)
        assert.ok(samples.length >= 100, `only ${samples.length} requests were measured`)
        assert.deepEqual(failed.map((s) => s.outcome), [], `${failed.length} of ${samples.length} requests failed`)
        assert.equal((await slow).status, 200)
        assert.equal(await servedCommit(), commit)
        assert.equal((await readHistory(sfHome, 1))[0]?.outcome, 'upgraded')
        assert.equal((await inspectContainer(`${name}-previous`, process.env)), null, 'the old server is gone after the settle window')
      })
    })

    test('a candidate that never turns ready never receives a request through the front', async () => {
      await withLogs(containers, async () => {
        const serving = await servedCommit()
        const before = await readSlots(files.socket)
        scratch.commit(readyRoute, (t) => t.replace(readyLine, "  return json({ ...result, ready: false, reason: 'broken on purpose' }, 503)"), 'never ready')
        try {
          const run = upgrade('--probe-timeout', '8')
          assert.equal(await run.exited, 1)
          const afterSlots = await readSlots(files.socket)
          const free = before.find((s) => s.maint)!
          assert.equal(afterSlots.find((s) => s.slot === free.slot)?.total, free.total, 'the free slot served nothing')
          assert.ok(afterSlots.find((s) => s.slot === free.slot)?.maint, 'and is still held out')
          assert.equal(await servedCommit(), serving)
        } finally {
          scratch.revert()
        }
      })
    })

    test('a new server that fails inside the settle window is switched back; the old one serves again; rolled back', async () => {
      await withLogs(containers, async () => {
        const serving = await servedCommit()
        scratch.commit(readyRoute, (t) => t.replace(readyLine, `  if (process.uptime() > 8) return json({ ready: false, reason: 'fails after a while' }, 503)\n${readyLine}`), 'fails after a while')
        try {
          const load = startLoad({ url, clients: 4, path: '/api/healthz', errorPauseMs: 5, timeoutMs: 30_000, now: () => performance.now() })
          const run = upgrade('--settle', '30')
          assert.equal(await run.exited, 1, run.stderr())
          const samples = await load.stop()
          assert.deepEqual(samples.filter((s) => s.outcome !== 200).map((s) => s.outcome), [], 'nothing lost while switching back')
          assert.match(run.stderr(), /settle window/)
          assert.equal(await servedCommit(), serving)
          assert.equal((await readHistory(sfHome, 1))[0]?.outcome, 'rolled-back')
          assert.equal(await inspectContainer(`${name}-previous`, process.env), null)
        } finally {
          scratch.revert()
        }
      })
    })

    test('a long-lived event stream open on the old server ends with its drain, and the reconnect lands on the new server', async () => {
      await withLogs(containers, async () => {
        const before = await servedCommit()
        const stream = await openEvents(`${url}/api/events`)
        assert.equal((await stream.next('version')).commit, before)
        const commit = scratch.commit('web/app/page.tsx', (t) => t.replace('export const dynamic', '// streams\nexport const dynamic'), 'a release under a stream')
        const run = upgrade('--settle', '1')
        const draining = await stream.next('draining')
        assert.match(String(draining.reason), /SIGTERM/, 'the old server ended the stream as it began to drain')
        await stream.ended
        assert.equal(await run.exited, 0, run.stderr())
        const again = await openEvents(`${url}/api/events`)
        assert.equal((await again.next('version')).commit, commit, 'the reconnect reaches the new server')
        again.close()
      })
    })

    test('killed right after the switch: status names the dead run and its leftover; the next run converges, records what the dead run did, and keeps the adopted build for rollback', async () => {
      await withLogs(containers, async () => {
        const before = await servedCommit()
        const commit = scratch.commit('web/app/page.tsx', (t) => t.replace('export const dynamic', '// killed after the switch\nexport const dynamic'), 'killed after the switch')
        const killed = upgrade('--settle', '30')
        await killed.waitFor((e) => e.event === 'phase-start' && String(e.phase).startsWith('settle'))
        killed.killAll()
        await killed.exited
        const adopted = (await inspectContainer(`${name}-candidate`, process.env))?.labels['sf.build-id']
        assert.ok(adopted, 'the killed run left its candidate')

        const status = npmRun(scratch.dir, 'docker:vega:status', [], env)
        await status.exited
        assert.match(status.stdout(), new RegExp(`leftover: ${name}-candidate \\(running, build ${adopted}\\)`))
        assert.match(status.stdout(), new RegExp(`lock stale: .* during settle: .*, upgrading ${before.slice(0, 12)} -> ${commit.slice(0, 12)}`))

        const rerun = upgrade('--settle', '1')
        assert.equal(await rerun.exited, 0, rerun.stderr())
        assert.match(rerun.stderr(), /converge: done .*(removed the leftover|switched the front back)/)
        await assertOneReadyServer()
        assert.equal(await servedCommit(), scratch.head())

        const [abandoned, upgraded] = await readHistory(sfHome, 2)
        assert.equal(abandoned?.outcome, 'abandoned')
        assert.deepEqual([abandoned?.from?.commit, abandoned?.to?.commit], [before, commit])
        assert.ok(Object.keys(abandoned?.phases ?? {}).some((p) => p.startsWith('switch the front')), JSON.stringify(abandoned))
        assert.match(abandoned?.error ?? '', /died .*during settle/)
        assert.equal(upgraded?.outcome, 'upgraded')
        assert.equal((await readReleases(sfHome, name)).previous?.buildId, adopted, 'the build converge adopted, which served, is the one rollback goes back to')
        for (const line of [/prune old builds: done/g, /^upgraded /gm]) assert.equal(rerun.stderr().match(line)?.length, 1, `${line} once in:\n${rerun.stderr()}`)
      })
    })

    test('killed right before the old server is removed, the next run converges to one ready server behind the front', async () => {
      await withLogs(containers, async () => {
        scratch.commit('web/app/page.tsx', (t) => t.replace('export const dynamic', '// killed in the drain\nexport const dynamic'), 'killed in the drain')
        const killed = upgrade('--settle', '1')
        await killed.waitFor((e) => e.event === 'phase-start' && String(e.phase).startsWith(`drain ${name}`))
        killed.killAll()
        await killed.exited
        const rerun = upgrade('--settle', '1')
        assert.equal(await rerun.exited, 0, rerun.stderr())
        await assertOneReadyServer()
        assert.equal(await servedCommit(), scratch.head())
      })
    })

    test('rollback goes through the front too', async () => {
      await withLogs(containers, async () => {
        const previous = (await readReleases(sfHome, name)).previous
        assert.ok(previous, 'an earlier test recorded a previous release')
        const run = npmRun(scratch.dir, 'docker:vega:rollback', [], env)
        assert.equal(await run.exited, 0, run.stderr())
        const served = ((await fetchAnswer(`${url}/api/version`)).json as { manifest: { webHost: { buildId: string } } }).manifest.webHost.buildId
        assert.equal(served, previous.buildId)
        await assertOneReadyServer()
      })
    })

    test('a rollback right after a run killed past its switch keeps that run\'s build as the one it rolls back from, and goes back to the build that served before it', async () => {
      await withLogs(containers, async () => {
        const servedBuild = async () => ((await fetchAnswer(`${url}/api/version`)).json as { manifest: { webHost: { buildId: string } } }).manifest.webHost.buildId
        const before = await servedBuild()
        scratch.commit('web/app/page.tsx', (t) => t.replace('export const dynamic', '// killed before a rollback\nexport const dynamic'), 'killed before a rollback')
        const killed = upgrade('--settle', '30')
        await killed.waitFor((e) => e.event === 'phase-start' && String(e.phase).startsWith('settle'))
        killed.killAll()
        await killed.exited
        const adopted = (await inspectContainer(`${name}-candidate`, process.env))?.labels['sf.build-id']
        assert.ok(adopted && adopted !== before)
        const run = npmRun(scratch.dir, 'docker:vega:rollback', [], env)
        assert.equal(await run.exited, 0, run.stderr())
        assert.equal(await servedBuild(), before)
        assert.equal((await readReleases(sfHome, name)).previous?.buildId, adopted)
        await assertOneReadyServer()
      })
    })

    test('the engine stops answering while the candidate is probed: the upgrade says so, not that the candidate failed; status names the candidate it left, exited, as a leftover', async () => {
      await withLogs(containers, async () => {
        const serving = await servedCommit()
        const proxy = await engineProxy()
        scratch.commit('web/app/page.tsx', (t) => t.replace('export const dynamic', '// engine lost\nexport const dynamic'), 'engine lost')
        try {
          const run = npmRun(scratch.dir, 'docker:vega:upgrade', ['--json'], { ...env, DOCKER_HOST: proxy.host })
          await run.waitFor((e) => e.event === 'phase-start' && String(e.phase) === `probe ${name}-candidate`)
          await proxy.close()
          assert.equal(await run.exited, 1, run.stderr())
          assert.match(run.stderr(), new RegExp(`error: the Docker Engine stopped answering during probe ${name}-candidate: ${name} was not touched`))
          assert.match(run.stderr(), /the next npm run docker:vega:upgrade removes it/)
          assert.doesNotMatch(run.stderr(), /the candidate failed/)
        } finally {
          await proxy.close().catch(() => {})
          scratch.revert()
        }
        assert.equal(await servedCommit(), serving)
        // An engine that really stops takes its containers down with it: the candidate is left exited.
        await docker(['stop', '--time', '5', `${name}-candidate`], { env: process.env })
        const status = npmRun(scratch.dir, 'docker:vega:status', [], env)
        assert.equal(await status.exited, 0, status.stderr())
        assert.match(status.stdout(), new RegExp(`leftover: ${name}-candidate \\(exited \\d+, build \\S+\\): .*the next npm run docker:vega:upgrade removes it`))
      })
    })

    test('a front and its server stopped by hand: status names both and the one command that brings them back; up starts them before it builds', async () => {
      await withLogs(containers, async () => {
        await docker(['kill', `${name}-front`], { env: process.env })
        await docker(['kill', name], { env: process.env })
        const status = npmRun(scratch.dir, 'docker:vega:status', [], env)
        assert.equal(await status.exited, 1)
        assert.match(status.stdout(), /container: stopped \(exit code \d+\)/)
        assert.match(status.stdout(), /front: stopped \(exit code \d+\)/)
        assert.match(status.stdout(), new RegExp(`bring it back: docker start ${name}-front ${name}\n`))

        const up = npmRun(scratch.dir, 'docker:vega:up', [], env)
        while (!/bundle dist\/loader\.js …/.test(up.stderr()) && up.child.exitCode === null) await new Promise((r) => setTimeout(r, 50))
        const whenTheBuildStarts = [(await inspectContainer(`${name}-front`, process.env))?.running, (await inspectContainer(name, process.env))?.running]
        assert.equal(await up.exited, 0, up.stderr())
        assert.deepEqual(whenTheBuildStarts, [true, true], `the front and the server run before the build starts:\n${up.stderr()}`)
        await assertOneReadyServer()
      })
    })

    test('an upgrade with the front stopped starts it in its converge step and goes on', async () => {
      await withLogs(containers, async () => {
        await docker(['kill', `${name}-front`], { env: process.env })
        const run = upgrade('--settle', '0')
        assert.equal(await run.exited, 0, run.stderr())
        assert.match(run.stderr(), new RegExp(`converge: done .*started ${name}-front`))
        await assertOneReadyServer()
      })
    })

    test('the front killed with SIGKILL comes back by itself, and status says so', async () => {
      const front = await inspectContainer(`${name}-front`, process.env)
      const pid = (await docker(['inspect', '--format', '{{.State.Pid}}', `${name}-front`], { env: process.env })).stdout.trim()
      process.kill(Number(pid), 'SIGKILL')
      await waitFor(`${url}/api/ready`, { deadlineMs: 30_000 })
      const again = await inspectContainer(`${name}-front`, process.env)
      assert.ok((again?.restartCount ?? 0) > (front?.restartCount ?? 0), 'the restart policy restarted it')
      const status = npmRun(scratch.dir, 'docker:vega:status', [], env)
      assert.equal(await status.exited, 0, status.stderr())
      assert.match(status.stdout() + status.stderr(), /front: running, image \S+, restarted \d+ time\(s\) after a crash/)
    })

    test('a server that turns unready gets no new request through the front, without the upgrader', async () => {
      const token = fs.readFileSync(path.join(sfHome, 'admin-token'), 'utf8').trim()
      const slot = (await readSlots(files.socket)).find((s) => !s.maint && !s.draining)!
      const direct = `http://127.0.0.1:${Number(new URL(url).port) + (slot.slot === 'a' ? 1 : 2)}`
      const drained = await fetchAnswer(`${direct}/api/drain`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
      assert.equal(drained.status, 202, drained.body)
      const deadline = Date.now() + 10_000
      while ((await readSlots(files.socket)).find((s) => s.slot === slot.slot)!.up && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
      const served = (await readSlots(files.socket)).find((s) => s.slot === slot.slot)!
      assert.equal(served.up, false, 'the front marked the unready server down')
      for (let i = 0; i < 5; i++) await fetchAnswer(`${url}/api/healthz`).catch(() => null)
      assert.equal((await readSlots(files.socket)).find((s) => s.slot === slot.slot)!.total, served.total, 'and sent it nothing more')
    })
  })
}

if (engine) {
  describe('docker:vega:up from direct mode', { timeout: 600_000 }, () => {
    const run = frontRun('move')
    const { scratch, name, containers } = run

    after(() => run.remove())

    test('moves a direct-mode server behind the front in one run, printing the gap it cost once', async () => {
      await withLogs(containers, async () => {
        const { port, direct: base, env: frontEnv } = await run.prepare()
        const direct = npmRun(scratch.dir, 'docker:vega:up', [], base)
        assert.equal(await direct.exited, 0, direct.stderr())
        assert.deepEqual((await inspectContainer(name, process.env))?.ports.map((p) => p.hostPort), [port], 'direct mode: the server publishes the port')

        const moved = npmRun(scratch.dir, 'docker:vega:up', [], frontEnv)
        assert.equal(await moved.exited, 0, moved.stderr())
        assert.match(moved.stderr(), new RegExp(`moved ${name} behind ${name}-front: 127\\.0\\.0\\.1:${port} answered nothing for \\d+ ms, this once`))
        const holder = await inspectContainer(`${name}-port`, process.env)
        assert.deepEqual(holder?.ports.map((p) => p.hostPort), [port, port + 3], 'the front\'s holder owns the port now, and publishes the front\'s metrics')
        assert.equal((await fetchAnswer(`http://127.0.0.1:${port}/api/ready`)).status, 200)

        const again = npmRun(scratch.dir, 'docker:vega:up', [], frontEnv)
        assert.equal(await again.exited, 0, again.stderr())
        assert.doesNotMatch(again.stderr(), /answered nothing for/, 'the gap is paid once')

        const back = npmRun(scratch.dir, 'docker:vega:up', [], { ...frontEnv, SF_VEGA_FRONT: 'none' })
        assert.equal(await back.exited, 2, back.stderr())
        assert.match(back.stderr(), new RegExp(`SF_VEGA_FRONT=none, but ${name}-port owns port ${port} for the front: .*docker rm -f ${name}-port ${name}-front `))
        assert.equal((await fetchAnswer(`http://127.0.0.1:${port}/api/ready`)).status, 200, 'refused before anything changed')
      })
    })
  })
}
