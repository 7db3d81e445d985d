// Replacing the front with no gap, and its faults, against the real engine and a real HAProxy: the holder
// owns the port, a new front takes the listeners from the old one, and whatever goes wrong (a bad image,
// a front that never answers, a run killed midway, the holder killed, every container killed as a
// restarting engine would) ends with the port served by one front and a ready server.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { startLoad } from '../../../lib/bench/load.ts'
import { buildImage, docker } from '../../../lib/docker/engine.ts'
import { inspectContainer } from '../../../lib/docker/inspect.ts'
import { frontDir, frontFiles } from '../../../lib/front/definition.ts'
import { readFrontInfo } from '../../../lib/front/runtime-api.ts'
import { freePort, freePorts } from '../../../lib/ports.ts'
import { fetchAnswer, waitFor } from '../../../lib/probe.ts'
import { createProgress } from '../../../lib/progress.ts'
import { containerNames, localBase, requireEngine, runId, withLogs } from '../../support/docker.ts'
import { frontRun } from '../../support/front.ts'
import { npmRun } from '../../support/npm.ts'

/**
 * An image that looks like a front to docker run but is not haproxy: a node script at haproxy's path.
 * `check` is what it does for `haproxy -c` (exit 1: a config the image refuses), `serve` for the front.
 */
async function fakeFrontImage(tag: string, script: string): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-fake-front-'))
  try {
    fs.writeFileSync(path.join(dir, 'haproxy'), `#!/usr/local/bin/node\n${script}\n`, { mode: 0o755 })
    fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${await localBase()}\nCOPY haproxy /usr/local/sbin/haproxy\n`)
    await buildImage({ dockerfile: path.join(dir, 'Dockerfile'), context: dir, tag, buildArgs: {}, labels: { 'sf.test': 'fake-front' } }, process.env, createProgress(() => {}))
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

const pidOf = async (container: string) => Number((await docker(['inspect', '--format', '{{.State.Pid}}', container], { env: process.env })).stdout.trim())

/** Poll /api/ready on fresh connections: the time from now until it answers 200, and how it answered meanwhile. */
async function darkFor(url: string, deadlineMs: number): Promise<number> {
  const start = Date.now()
  while (Date.now() - start < deadlineMs) {
    const status = await fetchAnswer(`${url}/api/ready`, { timeoutMs: 1000 }).then((a) => a.status, () => 0)
    if (status === 200) return Date.now() - start
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`${url} did not answer 200 within ${deadlineMs} ms`)
}

const engine = await requireEngine('the front replacement container tests')
if (engine) {
  describe('replacing the front', { timeout: 1_200_000 }, () => {
    const run = frontRun('frep')
    const { scratch, sfHome, name, containers } = run
    const files = frontFiles(frontDir(sfHome, name))
    const refuses = `sf-fake-front-refuses:${runId}`
    const silent = `sf-fake-front-silent:${runId}`
    let env: Record<string, string>
    let url: string

    const front = (...args: string[]) => npmRun(scratch.dir, 'docker:vega:front', args, env)
    const frontId = async () => (await inspectContainer(`${name}-front`, process.env))?.env.SF_FRONT_ID
    /** One front, named <name>-front, that admin.sock points at and that holds the listeners; the port serves. */
    const assertOneFront = async () => {
      assert.deepEqual((await containerNames(`name=^${name}-front`)).sort(), [`${name}-front`])
      assert.equal(fs.readlinkSync(files.socket), `admin-${await frontId()}.sock`)
      assert.equal((await readFrontInfo(files.socket)).stopping, false)
      assert.equal((await fetchAnswer(`${url}/api/ready`)).status, 200)
    }

    before(async () => {
      ;({ url, env } = await run.prepare())
      await fakeFrontImage(refuses, `if (process.argv.includes('-c')) { console.error('[ALERT] (1) : config : unknown keyword in this test image'); process.exit(1) }`)
      await fakeFrontImage(silent, `if (process.argv.includes('-c')) process.exit(0); setInterval(() => {}, 1 << 30)`)
      const up = npmRun(scratch.dir, 'docker:vega:up', [], env)
      assert.equal(await up.exited, 0, up.stderr())
    })
    after(() => run.remove({ images: [refuses, silent] }))

    test('--dry-run names the holder, the front and every step with its docker command, and changes nothing', async () => {
      const id = await frontId()
      const plan = front('--dry-run')
      assert.equal(await plan.exited, 0, plan.stderr())
      assert.match(plan.stdout(), new RegExp(`port holder: ${name}-port, running since `))
      assert.match(plan.stdout(), new RegExp(`docker run --detach --name ${name}-front-next .*--network container:${name}-port .* -x /run/sf-front/admin-${id}\\.sock`))
      assert.match(plan.stdout(), /haproxy -c -f \/run\/sf-front\/haproxy\.cfg\.next/)
      assert.equal(await frontId(), id, 'the same front serves')
    })

    test('under keep-alive load with a request held, no request fails, the held one gets 200, and one new front holds the listeners', async () => {
      await withLogs([...containers], async () => {
        const token = fs.readFileSync(path.join(sfHome, 'admin-token'), 'utf8').trim()
        const old = await frontId()
        const load = startLoad({ url, clients: 8, path: '/api/healthz', errorPauseMs: 5, timeoutMs: 30_000, now: () => performance.now() })
        const held = fetchAnswer(`${url}/api/hold?ms=4000`, { headers: { authorization: `Bearer ${token}` }, timeoutMs: 60_000 })
        await new Promise((r) => setTimeout(r, 500))
        const replaced = front()
        assert.equal(await replaced.exited, 0, replaced.stderr())
        await new Promise((r) => setTimeout(r, 500))
        const samples = await load.stop()
        const failed = samples.filter((s) => s.outcome !== 200)
        assert.ok(samples.length >= 100, `only ${samples.length} requests were measured`)
        assert.deepEqual(failed.map((s) => s.outcome), [], `${failed.length} of ${samples.length} requests failed`)
        assert.equal((await held).status, 200)
        assert.match(replaced.stdout(), /took the listeners over and answered through the port \d+ ms after its start, and the old one finished what it served in \d+ ms/)
        assert.notEqual(await frontId(), old)
        assert.equal(fs.existsSync(path.join(path.dirname(files.socket), `admin-${old}.sock`)), false, 'the old front\'s socket is gone with it')
        await assertOneFront()
      })
    })

    test('an image that refuses the configuration never touches the front that serves: exit 1, with haproxy\'s words', async () => {
      const id = await frontId()
      const refused = npmRun(scratch.dir, 'docker:vega:front', [], { ...env, SF_VEGA_FRONT_IMAGE: refuses })
      assert.equal(await refused.exited, 1, refused.stderr())
      assert.match(refused.stderr(), new RegExp(`${refuses.replace(/[.:]/g, '\\$&')} refuses the front's configuration \\(haproxy -c exited with 1\\), so the front that serves was not touched:\\n.*unknown keyword in this test image`))
      assert.equal(await frontId(), id)
      await assertOneFront()
    })

    test('a new front that never answers is removed and the old one serves on: exit 1, with the reason', async () => {
      const id = await frontId()
      const load = startLoad({ url, clients: 4, path: '/api/healthz', errorPauseMs: 5, timeoutMs: 30_000, now: () => performance.now() })
      const never = npmRun(scratch.dir, 'docker:vega:front', [], { ...env, SF_VEGA_FRONT_IMAGE: silent })
      assert.equal(await never.exited, 1, never.stderr())
      const samples = await load.stop()
      assert.match(never.stderr(), /the new front \(\S+\) did not take over, so \S+-front keeps serving: the front's admin socket \S+ did not answer within 15000 ms/)
      assert.deepEqual(samples.filter((s) => s.outcome !== 200).map((s) => s.outcome), [], 'the old front served throughout')
      assert.equal(await frontId(), id)
      await assertOneFront()
    })

    test('killed after the new front took the listeners: status shows both, and the next run leaves exactly one holding them', async () => {
      await withLogs([...containers], async () => {
        const killed = front()
        while (!/prove \S+-front-next answers/.test(killed.stderr()) && killed.child.exitCode === null) await new Promise((r) => setTimeout(r, 10))
        killed.killAll()
        await killed.exited
        assert.deepEqual((await containerNames(`name=^${name}-front`)).sort(), [`${name}-front`, `${name}-front-next`])
        const status = npmRun(scratch.dir, 'docker:vega:status', [], env)
        await status.exited
        assert.match(status.stdout(), new RegExp(`\\n {4}${name}-front-next: running since \\S+, HAProxy \\S+, image \\S+; holds the listeners\\n`))
        assert.equal((await fetchAnswer(`${url}/api/ready`)).status, 200, 'both serve meanwhile')

        const next = front()
        assert.equal(await next.exited, 0, next.stderr())
        assert.match(next.stdout(), new RegExp(`removed ${name}-front(-next)?, which a replacement that did not finish left beside ${name}-front`))
        await assertOneFront()
      })
    })

    test('the holder killed with SIGKILL comes back by its restart policy; the front left in the dead namespace is restarted by the next run', async () => {
      await withLogs([...containers], async () => {
        process.kill(await pidOf(`${name}-port`), 'SIGKILL')
        const killedAt = Date.now()
        // The restart policy brings the holder back, with a new namespace the front is not in.
        for (let i = 0; i < 100 && !(await inspectContainer(`${name}-port`, process.env))?.running; i++) await new Promise((r) => setTimeout(r, 100))
        await new Promise((r) => setTimeout(r, 1000))
        assert.notEqual((await fetchAnswer(`${url}/api/ready`, { timeoutMs: 1000 }).catch(() => ({ status: 0 }))).status, 200, 'nothing reaches the front')
        const status = npmRun(scratch.dir, 'docker:vega:status', [], env)
        assert.equal(await status.exited, 1)
        assert.match(status.stdout(), new RegExp(`${name}-front: running since \\S+, .*in a namespace its holder left, nothing reaches it: run npm run docker:vega:front`))

        const fixed = front()
        assert.equal(await fixed.exited, 0, fixed.stderr())
        assert.match(fixed.stderr(), new RegExp(`restart ${name}-front: it ran in the namespace ${name}-port had before it restarted`))
        process.stderr.write(`the port was dark for ${Date.now() - killedAt} ms, until the next run restarted the front\n`)
        await assertOneFront()
      })
    })

    test('the holder removed by hand: the next run makes a new one and a new front in its namespace', async () => {
      await withLogs([...containers], async () => {
        await docker(['rm', '--force', `${name}-port`], { env: process.env })
        const fixed = front()
        assert.equal(await fixed.exited, 0, fixed.stderr())
        assert.match(fixed.stdout(), new RegExp(`started ${name}-port, which was gone; re-created ${name}-front in the new ${name}-port's namespace`.replace('; ', '\\n')))
        await assertOneFront()
      })
    })

    test('every container stopped and started again as a restarting engine does, during an upgrade\'s settle window: the port serves the old server again with no command run', async () => {
      await withLogs([...containers], async () => {
        const before = await run.servedCommit(url)
        scratch.commit('web/app/page.tsx', (t) => t.replace('export const dynamic', '// engine restarted while it settled\nexport const dynamic'), 'engine restart during settle')
        const upgrade = npmRun(scratch.dir, 'docker:vega:upgrade', ['--json', '--settle', '60'], env)
        await upgrade.waitFor((e) => e.event === 'phase-start' && String(e.phase).startsWith('settle'))
        upgrade.killAll()
        await upgrade.exited
        // What a stopping engine does: every container is killed. Coming back, it starts what its restart
        // policy says, a container before those in its network namespace: the holder, the front, prod.
        // The candidate (restart no) stays down. (Killing the processes instead lets the restart policy
        // start the front before its holder, which fails for good; the next run starts it.)
        for (const c of [`${name}-candidate`, name, `${name}-front`, `${name}-port`]) await docker(['kill', c], { env: process.env })
        for (const c of [`${name}-port`, `${name}-front`, name]) await docker(['start', c], { env: process.env })
        const dark = await darkFor(url, 60_000)
        process.stderr.write(`every container restarted during the settle window: the port answered 200 again ${dark} ms after prod was started, with no command run\n`)
        // Just started, the front counts a server up before its first check, which may still fail once
        // (the server was starting): a 503 can follow the first 200 for a check interval.
        await waitFor(`${url}/api/version`, { deadlineMs: 10_000, minIntervalMs: 50 })
        assert.equal(await run.servedCommit(url), before, 'the old server, the candidate\'s checked backup, serves')
        assert.equal((await inspectContainer(`${name}-candidate`, process.env))?.running, false)

        const rerun = npmRun(scratch.dir, 'docker:vega:upgrade', ['--settle', '0'], env)
        assert.equal(await rerun.exited, 0, rerun.stderr())
        assert.equal(await run.servedCommit(url), scratch.head())
        assert.deepEqual((await containerNames(`name=^${name}`)).sort(), [name, `${name}-front`, `${name}-port`])
      })
    })

    test('up replaces a front whose generated configuration changed, under load with no failed request, and leaves a current one alone', async () => {
      await withLogs([...containers], async () => {
        const old = await frontId()
        const load = startLoad({ url, clients: 8, path: '/api/healthz', errorPauseMs: 5, timeoutMs: 30_000, now: () => performance.now() })
        // A longer drain time changes the config's timeout server and hard-stop-after.
        const changed = npmRun(scratch.dir, 'docker:vega:up', [], { ...env, SF_VEGA_DRAIN_STOP_TIME: '620' })
        assert.equal(await changed.exited, 0, changed.stderr())
        const samples = await load.stop()
        assert.match(changed.stderr(), new RegExp(`replaced ${name}-front \\(its configuration \\([0-9a-f]{16}\\) is not the one generated now \\([0-9a-f]{16}\\)\\)`))
        assert.deepEqual(samples.filter((s) => s.outcome !== 200).map((s) => s.outcome), [], `of ${samples.length}`)
        assert.notEqual(await frontId(), old)
        assert.match(fs.readFileSync(files.config, 'utf8'), /^ {2}timeout server 620s$/m)
        await assertOneFront()

        const current = await frontId()
        const same = npmRun(scratch.dir, 'docker:vega:up', [], { ...env, SF_VEGA_DRAIN_STOP_TIME: '620' })
        assert.equal(await same.exited, 0, same.stderr())
        assert.match(same.stderr(), new RegExp(`front: done in [\\d.]+s \\(${name}-front is current\\)`))
        assert.equal(await frontId(), current)
      })
    })

    test('a new SF_VEGA_PORT: one up moves the holder and the front to it, says so, and the old port answers nothing', async () => {
      await withLogs([...containers], async () => {
        const port = await freePorts('127.0.0.1', 4)
        const old = Number(new URL(url).port)
        const moved = npmRun(scratch.dir, 'docker:vega:up', [], { ...env, SF_VEGA_PORT: String(port) })
        assert.equal(await moved.exited, 0, moved.stderr())
        assert.match(moved.stderr(), new RegExp(`moved ${name}-front from 127\\.0\\.0\\.1:${old}, 127\\.0\\.0\\.1:${old + 3} to 127\\.0\\.0\\.1:${port} \\(metrics: 127\\.0\\.0\\.1:${port + 3}\\): .*, and the old address answers nothing now`))
        assert.deepEqual((await inspectContainer(`${name}-port`, process.env))?.ports.map((p) => p.hostPort), [port, port + 3])
        assert.equal((await fetchAnswer(`http://127.0.0.1:${port}/api/ready`)).status, 200)
        assert.equal(await fetchAnswer(`${url}/api/ready`, { timeoutMs: 1000 }).then((a) => a.status, () => 0), 0, 'the old port answers nothing')
        url = `http://127.0.0.1:${port}`
        env = { ...env, SF_VEGA_PORT: String(port) }
        await assertOneFront()
      })
    })

    test("a new SF_VEGA_METRICS_PORT: one up moves the holder and the front, and the front's exporter answers on the new port", async () => {
      await withLogs([...containers], async () => {
        const port = Number(new URL(url).port)
        const metrics = await freePort()
        const moved = npmRun(scratch.dir, 'docker:vega:up', [], { ...env, SF_VEGA_METRICS_PORT: String(metrics) })
        assert.equal(await moved.exited, 0, moved.stderr())
        assert.match(moved.stderr(), new RegExp(`moved ${name}-front from 127\\.0\\.0\\.1:${port}, 127\\.0\\.0\\.1:${port + 3} to 127\\.0\\.0\\.1:${port} \\(metrics: 127\\.0\\.0\\.1:${metrics}\\): 127\\.0\\.0\\.1:${port} answered \\d+ ms after the old front's soft stop began`))
        assert.doesNotMatch(moved.stderr(), /the old address answers nothing/, 'the site kept its address')
        assert.deepEqual((await inspectContainer(`${name}-port`, process.env))?.ports.map((p) => p.hostPort), [port, metrics])
        assert.equal((await fetchAnswer(`http://127.0.0.1:${metrics}/metrics`)).status, 200)
        assert.equal((await fetchAnswer(`${url}/api/ready`)).status, 200)
        env = { ...env, SF_VEGA_METRICS_PORT: String(metrics) }
        await assertOneFront()
      })
    })

    test('a front made before holders (it publishes the port itself): upgrade refuses and says why; one up moves it behind a holder, printing the gap once', async () => {
      await withLogs([...containers], async () => {
        // The front as the toolkit made it before holders: its own port, its socket admin.sock, on the network.
        const port = Number(new URL(url).port)
        const image = (await inspectContainer(`${name}-front`, process.env))!.image
        await docker(['rm', '--force', `${name}-front`, `${name}-port`], { env: process.env })
        fs.rmSync(files.socket, { force: true })
        const config = fs.readFileSync(files.config, 'utf8').replace(/stats socket "[^"]+"/, 'stats socket /run/sf-front/admin.sock')
        fs.writeFileSync(files.config, config)
        await docker(['run', '--detach', '--name', `${name}-front`, '--restart', 'unless-stopped', '--stop-signal', 'SIGUSR1', '--user', '0:0', '--network', `${name}-net`,
          '--publish', `127.0.0.1:${port}:4000`, '--mount', `type=bind,source=${path.dirname(files.socket)},target=/run/sf-front`,
          '--label', 'sf.role=vega-front', '--label', `sf.vega.name=${name}`, image, '/usr/local/sbin/haproxy', '-W', '-db', '-f', '/run/sf-front/haproxy.cfg'], { env: process.env })
        await darkFor(url, 10_000) // it serves, as such a front did

        const refused = npmRun(scratch.dir, 'docker:vega:upgrade', [], env)
        assert.equal(await refused.exited, 2, refused.stderr())
        assert.match(refused.stderr(), new RegExp(`${name}-front publishes 127\\.0\\.0\\.1:${port} itself \\(it was made before the port holder ${name}-port\\): run npm run docker:vega:up once`))

        const moved = npmRun(scratch.dir, 'docker:vega:up', [], env)
        assert.equal(await moved.exited, 0, moved.stderr())
        assert.match(moved.stderr(), new RegExp(`moved ${name}-front behind ${name}-port: 127\\.0\\.0\\.1:${port} answered nothing for \\d+ ms, this once`))
        assert.deepEqual((await inspectContainer(`${name}-port`, process.env))?.ports.map((p) => p.hostPort), [port, Number(env.SF_VEGA_METRICS_PORT ?? port + 3)])
        await assertOneFront()

        const again = npmRun(scratch.dir, 'docker:vega:up', [], env)
        assert.equal(await again.exited, 0, again.stderr())
        assert.doesNotMatch(again.stderr(), /answered nothing for/, 'the gap is paid once')
        await assertOneFront()
      })
    })
  })
}
