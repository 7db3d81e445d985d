// A vega server behind the front upgrades itself: POST /api/server-upgrade starts the upgrader in a
// container of its own, the events stream follows it across the switch from the old server to the new
// one, and the page in Chromium does the same with a click. Per-run names, ports and folders; three
// upgrades in all, as each takes a build.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { chromium, type Browser } from 'playwright-core'
import { docker } from '../../../lib/docker/engine.ts'
import { buildBaseImage } from '../../../lib/docker/base-image.ts'
import { fetchAnswer } from '../../../lib/probe.ts'
import { createProgress } from '../../../lib/progress.ts'
import { repoRoot } from '../../../lib/paths.ts'
import { lockFile, thisProcess } from '../../../lib/front/lock.ts'
import { readEvents } from '../../../lib/vega/upgrade-events.ts'
import { eventsFile, upgraderName } from '../../../lib/vega/upgrader.ts'
import { containerNames, requireEngine, runId, runLabels, withLogs } from '../../support/docker.ts'
import { frontRun } from '../../support/front.ts'
import { npmRun } from '../../support/npm.ts'

const chromiumPath = '/usr/bin/chromium'

interface Received {
  id: number
  event: string
  data: Record<string, unknown>
}

/**
 * Read an upgrade's events as a client would: reconnect whenever the server ends the stream (it does
 * when it begins to drain), resuming after the last id, until the outcome. Counts the connections.
 */
async function readUpgradeStream(url: string, token: string): Promise<{ events: Received[]; connections: number }> {
  const events: Received[] = []
  let connections = 0
  const deadline = Date.now() + 600_000
  while (Date.now() < deadline) {
    const last = events.at(-1)?.id
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}`, ...(last ? { 'last-event-id': String(last) } : {}) } }).catch(() => null)
    if (!response || response.status !== 200 || !response.body) {
      await new Promise((r) => setTimeout(r, 500))
      continue
    }
    connections += 1
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true })
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const id = /^id: (\d+)$/m.exec(block)?.[1]
          const event = /^event: (.*)$/m.exec(block)?.[1]
          const data = /^data: (.*)$/m.exec(block)?.[1]
          if (!id || !event || !data) continue
          events.push({ id: Number(id), event, data: JSON.parse(data) as Record<string, unknown> })
          if (event === 'outcome') return { events, connections }
        }
      }
    } catch {
      // the old server went away mid-stream: reconnect
    }
  }
  throw new Error(`no outcome within 600 s; got ${JSON.stringify(events.map((e) => e.event))}`)
}

const engine = await requireEngine('the self-upgrade container tests')
if (engine) {
  describe('a vega server upgrading itself', { timeout: 1_200_000 }, () => {
    const run = frontRun('self')
    const { scratch, sfHome, name } = run
    // A base of this run's own: the upgrader runs in the runtime image, and a local base built before
    // it carried coreutils' timeout (which the docker seam needs) would fail there.
    const baseImage = `sf-node-base-self:${runId}`
    const containers = [...run.containers, upgraderName(name)]
    let env: Record<string, string>
    let url: string
    let token: string
    let browser: Browser | undefined

    const servedCommit = () => run.servedCommit(url)
    const start = async (body: unknown = {}) => {
      const r = await fetch(`${url}/api/server-upgrade`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
      return { status: r.status, json: (await r.json()) as { id: string; events: string; error?: string } }
    }
    const upgraderGone = async () => {
      for (let i = 0; i < 40; i++) {
        if ((await containerNames(`name=^${upgraderName(name)}$`)).length === 0) return true
        await new Promise((r) => setTimeout(r, 250))
      }
      return false
    }

    before(async () => {
      await buildBaseImage({ tag: baseImage, env: process.env, progress: createProgress(() => {}), labels: runLabels })
      ;({ url, env } = await run.prepare({ SF_BASE_IMAGE: baseImage }))
      const up = npmRun(scratch.dir, 'docker:vega:up', [], env)
      assert.equal(await up.exited, 0, up.stderr())
      token = fs.readFileSync(path.join(sfHome, 'admin-token'), 'utf8').trim()
    })
    after(async () => {
      await browser?.close()
      await run.remove({ containers: [upgraderName(name)], images: [baseImage] })
    })

    test('POST upgrades to the checkout’s new commit; the stream, read across the switch, has every phase once, in order, then upgraded; a second POST meanwhile gets 409; the upgrader is gone', async () => {
      await withLogs(containers, async () => {
        const before = await servedCommit()
        const commit = scratch.commit('web/app/page.tsx', (t) => t.replace('export const dynamic', '// upgraded by itself\nexport const dynamic'), 'a release the server upgrades to')
        const stale = await start({ expectCommit: before })
        assert.equal(stale.status, 412, 'expectCommit of what serves, not of HEAD')
        const started = await start({ expectCommit: commit })
        assert.equal(started.status, 202, JSON.stringify(started.json))
        assert.equal(started.json.events, `/api/server-upgrade/${started.json.id}/events`)
        const stream = readUpgradeStream(`${url}${started.json.events}`, token)
        const second = await start()
        assert.equal(second.status, 409, JSON.stringify(second.json))
        assert.match(second.json.error ?? '', /upgrade running: pid \d+ .*upgrader container|an upgrader already runs|just started/)

        const { events, connections } = await stream
        assert.ok(connections >= 2, `the stream was resumed on the new server (${connections} connection(s))`)
        assert.deepEqual(events.map((e) => e.id), events.map((_, i) => i + 1), 'every line once, in order, none skipped')
        const outcome = events.at(-1)!
        assert.equal(outcome.event, 'outcome')
        assert.equal(outcome.data.outcome, 'upgraded', JSON.stringify(outcome.data))
        const file = eventsFile(sfHome, name, started.json.id)
        const written = (await readEvents(file, 0)).filter((e) => e.event === 'phase-start').map((e) => e.data.phase)
        const streamed = events.filter((e) => e.event === 'phase-start').map((e) => e.data.phase)
        assert.deepEqual(streamed, written)
        for (const phase of ['preflight', 'lock', 'converge', 'write dist/sf-release-manifest.json']) assert.ok(streamed.includes(phase), `phase ${phase} streamed`)
        assert.ok(streamed.some((p) => String(p).startsWith('switch the front')), 'the switch is among the phases')

        assert.equal(await servedCommit(), commit)
        assert.ok(await upgraderGone(), 'the upgrader container is gone afterwards')
        const overview = await fetchAnswer(`${url}/api/server-upgrade`, { headers: { authorization: `Bearer ${token}` } })
        const body = overview.json as { upgrades: { id: string; outcome: { outcome: string } }[]; history: { outcome: string; to: { commit: string } }[]; lock: { state: string } }
        assert.equal(body.upgrades[0]?.id, started.json.id)
        assert.equal(body.history[0]?.to.commit, commit)
        assert.equal(body.lock.state, 'free')
      })
    })

    test("a lock left by a dead docker:vega:upgrade on the engine's host is stale to the endpoint too, and a live one holds it", async () => {
      const engineName = (await docker(['info', '--format', '{{.Name}}'], { env: process.env })).stdout.trim()
      const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
      const lock = lockFile(sfHome, name)
      const write = (pid: number) => fs.writeFileSync(lock, JSON.stringify({ ...thisProcess('npm run docker:vega:upgrade'), host: engineName, pid, pidStart: null }))
      const lockSays = async () => ((await fetchAnswer(`${url}/api/server-upgrade`, { headers: { authorization: `Bearer ${token}` } })).json as { lock: { state: string } }).lock.state
      try {
        write(Number(dead.stdout))
        assert.equal(await lockSays(), 'stale', 'a pid gone from the engine host')
        write(process.pid)
        assert.equal(await lockSays(), 'held', 'this test process, alive on the engine host')
      } finally {
        fs.rmSync(lock, { force: true })
      }
    })

    test('a broken release leaves prod on the old commit, and the stream says why', async () => {
      await withLogs(containers, async () => {
        const serving = await servedCommit()
        scratch.commit('web/app/page.tsx', (t) => t.replace('export const dynamic', 'export const dynamic = ((\nexport const dynamic'), 'does not compile')
        try {
          const started = await start()
          assert.equal(started.status, 202, JSON.stringify(started.json))
          const { events } = await readUpgradeStream(`${url}${started.json.events}`, token)
          const outcome = events.at(-1)!
          assert.equal(outcome.event, 'outcome')
          assert.equal(outcome.data.outcome, 'failed')
          assert.match(String(outcome.data.error), /next build|build/i)
          assert.equal(await servedCommit(), serving)
          assert.ok(await upgraderGone())
        } finally {
          scratch.revert()
        }
      })
    })

    test('the page starts an upgrade with a canary step, shows the phases as they come, each verdict with its numbers, and the new commit in the footer without a reload', { skip: fs.existsSync(chromiumPath) ? false : `${chromiumPath} is missing` }, async () => {
      await withLogs(containers, async () => {
        const commit = scratch.commit('web/app/page.tsx', (t) => t.replace('// upgraded by itself\n', '// upgraded from the page\n'), 'a release started from the page')
        browser = await chromium.launch({
          executablePath: chromiumPath,
          args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        })
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
        await page.goto(url)
        await page.evaluate('window.sameDocument = true')
        await page.locator('[data-testid=token]').fill(token)
        await page.keyboard.press('Enter')
        await page.locator('[data-testid=checkout-commit]').waitFor({ timeout: 10_000 })
        assert.equal(await page.locator('[data-testid=checkout-commit]').textContent(), commit.slice(0, 12))
        await page.locator('[data-testid=canary]').fill('50')
        await page.locator('[data-testid=step]').fill('2')
        await page.locator('[data-testid=upgrade]').focus()
        await page.keyboard.press('Enter')
        // Phases appear one by one while the upgrade runs.
        await page.locator('[data-testid=phases] li.done').nth(2).waitFor({ timeout: 120_000 })
        await page.locator('[data-testid=phases] li', { hasText: 'build' }).first().waitFor({ timeout: 120_000 })
        // The README's picture (docs/self-upgrade.png) is one of these, copied by hand: a test never writes the checkout.
        await page.screenshot({ path: path.join(repoRoot, 'test-results', 'self-upgrade.png'), fullPage: true })
        await page.locator('[data-testid=outcome]').waitFor({ timeout: 600_000 })
        assert.equal(await page.locator('[data-testid=outcome]').textContent(), 'upgraded')
        const phases = await page.locator('[data-testid=phases] li .phase-name').allTextContents()
        assert.equal(new Set(phases).size >= 8, true, JSON.stringify(phases))
        assert.ok(phases.some((p) => p.startsWith('canary 50%: judge')), JSON.stringify(phases))
        // Nobody but the probes asked: each stage is inconclusive and says how many requests it saw.
        const verdicts = await page.locator('[data-testid=analysis] tbody tr').allTextContents()
        assert.deepEqual(verdicts.map((v) => v.split('inconclusive')[0]), ['canary 50%', 'settle'], JSON.stringify(verdicts))
        // The new server's column: none in the step, at most the probes' own /api/projects in the window.
        const newServer = await page.locator('[data-testid=analysis] tbody tr td:nth-child(4)').allTextContents()
        assert.deepEqual(newServer.map((t) => /^[01] req, 0 5xx/.test(t)), [true, true], JSON.stringify(newServer))
        // The history (folded away until opened) has this attempt's verdicts too.
        await page.locator('[data-testid=history-verdict]', { hasText: 'canary 50%: inconclusive (new 0 req' }).first().waitFor({ state: 'attached', timeout: 10_000 })
        await page.waitForFunction(`document.querySelector('[data-testid=commit]')?.textContent === ${JSON.stringify(commit.slice(0, 12))}`, undefined, { timeout: 30_000 })
        assert.equal(await page.evaluate('window.sameDocument'), true, 'no reload')
        await page.setViewportSize({ width: 400, height: 900 })
        const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number
        assert.ok(overflow <= 0, `at 400 px the page scrolls sideways by ${overflow} px`)
        assert.equal(await servedCommit(), commit)
      })
    })
  })
}
