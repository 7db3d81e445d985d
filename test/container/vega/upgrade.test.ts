// npm run docker:vega:upgrade against the real engine. Each case changes the code in a scratch clone,
// commits it and upgrades the one prod container the suite runs, with per-run names and ports.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { docker } from '../../../lib/docker/engine.ts'
import { inspectContainer } from '../../../lib/docker/inspect.ts'
import { freePortPair } from '../../../lib/ports.ts'
import { fetchAnswer } from '../../../lib/probe.ts'
import { readHistory } from '../../../lib/vega/history.ts'
import { containerNames, removeContainers, removeImages, requireEngine, runId, vegaEnv, withLogs } from '../../support/docker.ts'
import { workspacesFixture } from '../../support/fixtures.ts'
import { npmRun } from '../../support/npm.ts'
import { scratchCheckout } from '../../support/scratch.ts'
import { tempDir } from '../../support/server.ts'

const readyRoute = 'web/app/api/ready/route.ts'
const versionRoute = 'web/app/api/version/route.ts'
const readyLine = '  return json(result, result.ready ? 200 : 503)'

const engine = await requireEngine('the docker:vega:upgrade container tests')
if (engine) {
  describe('npm run docker:vega:upgrade', { timeout: 900_000 }, () => {
    const scratch = scratchCheckout()
    const fixture = workspacesFixture()
    const sfHome = path.join(tempDir('upgrade-home'), '.sf')
    const name = `sf-upg-${runId}`
    const image = `sf-source-server-upg:${runId}`
    const containers = [name, `${name}-candidate`, `${name}-previous`]
    let env: Record<string, string>
    let url: string

    const upgrade = (...args: string[]) => npmRun(scratch.dir, 'docker:vega:upgrade', ['--json', ...args], env)
    const servedCommit = async () => ((await fetchAnswer(`${url}/api/version`)).json as { manifest: { git: { commit: string } } }).manifest.git.commit
    const lastHistory = async () => (await readHistory(sfHome, 1))[0]

    before(async () => {
      const port = await freePortPair()
      url = `http://127.0.0.1:${port}`
      env = await vegaEnv({ name, image, port, sfHome, workspace: fixture.alpha, workspaces: fixture.root })
      const up = npmRun(scratch.dir, 'docker:vega:up', [], env)
      assert.equal(await up.exited, 0, up.stderr())
      fs.writeFileSync(path.join(sfHome, 'kept-data'), 'precious\n')
    })
    after(async () => {
      await removeContainers(containers)
      await removeImages([image])
      scratch.remove()
      fixture.cleanup()
      fs.rmSync(path.dirname(sfHome), { recursive: true, force: true })
    })

    test('serves the new commit afterwards, lets a slow request in flight on the old prod finish, keeps ~/.sf', async () => {
      await withLogs(containers, async () => {
        const token = fs.readFileSync(path.join(sfHome, 'admin-token'), 'utf8').trim()
        const commit = scratch.commit('web/app/page.tsx', (t) => t.replace('export const dynamic', '// upgraded\nexport const dynamic'), 'a new release')
        const run = upgrade()
        // In flight well before the drain: it starts while the candidate is probed, and outlasts a slow probe.
        await run.waitFor((e) => e.event === 'phase-start' && String(e.phase).startsWith(`probe ${name}-candidate`))
        const slow = fetchAnswer(`${url}/api/hold?ms=15000`, { headers: { authorization: `Bearer ${token}` }, timeoutMs: 60_000 }).then((a) => ({ ...a, at: Date.now() }))
        await run.waitFor((e) => e.event === 'phase-start' && String(e.phase).startsWith(`drain ${name}`))
        const drainStarted = Date.now()
        assert.equal(await run.exited, 0, run.stderr())
        const held = await slow
        assert.equal(held.status, 200, held.body)
        assert.ok(held.at > drainStarted, 'the slow request was still running when the drain began')
        // Exit code 0: the old server drained and exited by itself; at the stop timeout docker kills it (137).
        assert.match(run.stderr(), new RegExp(`drain ${name} \\(docker stop --time 610\\): done in [\\d.]+s \\(exit code 0\\)`))

        assert.equal(await servedCommit(), commit)
        assert.deepEqual(await containerNames(`label=sf.vega.name=${name}-candidate`), [], 'the candidate is gone')
        assert.deepEqual(await containerNames(`name=^${name}-previous$`), [], 'the old prod is gone')
        assert.equal(fs.readFileSync(path.join(sfHome, 'kept-data'), 'utf8'), 'precious\n')
        const entry = await lastHistory()
        assert.equal(entry?.outcome, 'upgraded')
        assert.equal(entry?.to?.commit, commit)
        assert.ok(entry && Object.keys(entry.phases).some((p) => p.startsWith('drain')))
        assert.deepEqual(run.events.at(-1)?.outcome, 'upgraded')
      })
    })

    test('a candidate that never gets ready is removed, with its last log lines shown, and prod keeps serving', async () => {
      await withLogs(containers, async () => {
        const serving = await servedCommit()
        const standalone = path.join(scratch.dir, 'dist', 'web', 'standalone')
        const pointedAt = fs.readlinkSync(standalone)
        scratch.commit(readyRoute, (t) => t.replace(readyLine, "  return json({ ...result, ready: false, reason: 'broken on purpose' }, 503)"), 'never ready')
        try {
          const run = upgrade('--probe-timeout', '8')
          assert.equal(await run.exited, 1)
          assert.equal(fs.readlinkSync(standalone), pointedAt, 'the checkout points at the build it named before the run')
          assert.match(run.stderr(), /error: the candidate failed, so .* was not touched: .*\/api\/ready: no acceptable answer within .*broken on purpose/)
          assert.match(run.stderr(), new RegExp(`last log lines of ${name}-candidate:`))
          assert.deepEqual(await containerNames(`name=^${name}-candidate$`), [])
          assert.equal(await servedCommit(), serving)
          assert.equal((await lastHistory())?.outcome, 'candidate-failed')
        } finally {
          scratch.revert()
        }
      })
    })

    test('a candidate reporting another version is refused and prod keeps serving', async () => {
      await withLogs(containers, async () => {
        const serving = await servedCommit()
        scratch.commit(versionRoute, (t) => t.replace('    manifest,\n', "    manifest: { ...manifest, git: { ...manifest.git, commit: '0'.repeat(40) } },\n"), 'lies about its version')
        try {
          const run = upgrade('--probe-timeout', '30')
          assert.equal(await run.exited, 1)
          assert.match(run.stderr(), /the candidate failed, .*reports commit 0{40} .*expected commit/)
          assert.equal(await servedCommit(), serving)
          assert.equal((await lastHistory())?.outcome, 'candidate-failed')
        } finally {
          scratch.revert()
        }
      })
    })

    test('a new prod that fails its probes is rolled back to the old container, and that is recorded', async () => {
      await withLogs(containers, async () => {
        const serving = await servedCommit()
        const before = await inspectContainer(name, process.env)
        scratch.commit(
          readyRoute,
          (t) => t.replace(readyLine, `  if (!process.env.SF_VEGA_NAME?.endsWith('-candidate')) return json({ ready: false, reason: 'fails as prod only' }, 503)\n${readyLine}`),
          'fails only as prod',
        )
        try {
          const run = upgrade('--probe-timeout', '8')
          assert.equal(await run.exited, 1)
          assert.match(run.stderr(), /the new .* failed its probes .*fails as prod only.*; rolled back: restarted the old/)
          assert.equal(await servedCommit(), serving)
          const after = await inspectContainer(name, process.env)
          assert.equal(after?.id, before?.id, 'the very same old container serves again')
          assert.deepEqual(await containerNames(`name=^${name}-(candidate|previous)$`), [])
          const entry = await lastHistory()
          assert.equal(entry?.outcome, 'rolled-back')
          assert.match(entry?.rollback ?? '', /restarted the old/)
        } finally {
          scratch.revert()
        }
      })
    })

    test('a second upgrade while one runs is refused, naming who holds the lock and since when', async () => {
      await withLogs(containers, async () => {
        scratch.commit('web/app/page.tsx', (t) => t.replace('// upgraded\n', '// upgraded again\n'), 'another release')
        const first = upgrade()
        const lock = await first.waitFor((e) => e.event === 'phase-done' && e.phase === 'lock')
        assert.ok(lock)
        const second = upgrade()
        assert.equal(await second.exited, 1)
        assert.match(second.stderr(), /error: another upgrade holds .*lock\.json: pid \d+ \(.*npm run docker:vega:upgrade\) since \d{4}-.*--lock-wait/)
        assert.equal(await first.exited, 0, first.stderr())
        assert.equal(await servedCommit(), scratch.head())
      })
    })

    test('killed during the drain, the next run converges: prod restored, lock recovered, candidate removed', async () => {
      await withLogs(containers, async () => {
        scratch.commit('web/app/page.tsx', (t) => t.replace('// upgraded again\n', '// upgraded thrice\n'), 'a release that is interrupted')
        const killed = upgrade()
        await killed.waitFor((e) => e.event === 'phase-start' && String(e.phase).startsWith(`drain ${name}`))
        killed.killAll()
        await killed.exited
        const rerun = upgrade()
        assert.equal(await rerun.exited, 0, rerun.stderr())
        assert.match(rerun.stderr(), /lock: done .*recovered the lock left by dead pid \d+/)
        assert.match(rerun.stderr(), /converge: done .*(removed the leftover|restarted|restored)/)
        assert.equal(await servedCommit(), scratch.head())
        assert.deepEqual(await containerNames(`name=^${name}-(candidate|previous)$`), [])
        const recent = await readHistory(sfHome, 2)
        assert.deepEqual(recent.map((h) => h.outcome), ['abandoned', 'upgraded'])
        assert.equal(fs.readFileSync(path.join(sfHome, 'kept-data'), 'utf8'), 'precious\n')
      })
    })

    test('killed while probing a new prod that fails, the next run brings the set-aside prod back first', async () => {
      await withLogs(containers, async () => {
        const serving = await servedCommit()
        scratch.commit(
          readyRoute,
          (t) => t.replace(readyLine, `  if (!process.env.SF_VEGA_NAME?.endsWith('-candidate')) return json({ ready: false, reason: 'fails as prod only' }, 503)\n${readyLine}`),
          'fails only as prod, and the upgrade is killed',
        )
        const killed = upgrade('--probe-timeout', '60')
        await killed.waitFor((e) => e.event === 'phase-start' && e.phase === `probe ${name}`)
        killed.killAll()
        await killed.exited
        scratch.revert()
        const rerun = upgrade('--probe-timeout', '8')
        assert.equal(await rerun.exited, 0, rerun.stderr())
        assert.match(rerun.stderr(), new RegExp(`restored ${name} from ${name}-previous, which a killed run had set aside \\(the ${name} it had started failed its probes\\)`))
        assert.notEqual(await servedCommit(), serving, 'and the rerun upgraded')
        assert.equal(await servedCommit(), scratch.head())
      })
    })

    test('a set-aside prod left beside a prod that passes its probes is removed, and prod kept', async () => {
      await withLogs(containers, async () => {
        // The state a run killed just after the new prod passed leaves: the old one still set aside.
        const prod = await inspectContainer(name, process.env)
        assert.ok(prod)
        await docker(['run', '--detach', '--name', `${name}-previous`, '--label', 'sf.role=vega', prod.imageId, 'node', '-e', 'setTimeout(() => {}, 600000)'], { env: process.env })
        scratch.commit('web/app/page.tsx', (t) => t.replace('// upgraded thrice\n', '// upgraded four times\n'), 'one more release')
        const rerun = upgrade()
        assert.equal(await rerun.exited, 0, rerun.stderr())
        assert.match(rerun.stderr(), new RegExp(`kept ${name}, which passes its probes, and removed the leftover ${name}-previous`))
        assert.equal(await servedCommit(), scratch.head())
        assert.deepEqual(await containerNames(`name=^${name}-(candidate|previous)$`), [])
      })
    })

    test('docker:vega:rollback puts the previous release back, and status shows it', async () => {
      await withLogs(containers, async () => {
        const history = await readHistory(sfHome, 10)
        const previous = [...history].reverse().find((h) => h.outcome === 'upgraded')?.from?.commit
        const run = npmRun(scratch.dir, 'docker:vega:rollback', [], env)
        assert.equal(await run.exited, 0, run.stderr())
        assert.equal(await servedCommit(), previous)
        const status = npmRun(scratch.dir, 'docker:vega:status', ['--json'], env)
        assert.equal(await status.exited, 0, status.stderr())
        const report = JSON.parse(status.stdout()) as { version: { commit: string }; ready: { status: number }; history: { action: string }[] }
        assert.equal(report.version.commit, previous)
        assert.equal(report.ready.status, 200)
        assert.equal(report.history.at(-1)?.action, 'rollback')
      })
    })
  })
}
