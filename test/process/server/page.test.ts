// The page at / in a real browser: the projects list, the running version in the footer, and the
// deployment controller's panel where one runs.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { chromium, type Browser } from 'playwright-core'
import { servedStateFile, writeControllerState } from '../../../lib/server/controller-state.ts'
import { repoRoot } from '../../../lib/paths.ts'
import { controllerState, digests } from '../../support/controller.ts'
import { workspacesFixture } from '../../support/fixtures.ts'
import { startServer, type RunningServer } from '../../support/server.ts'

const chromiumPath = '/usr/bin/chromium'
const missing = fs.existsSync(chromiumPath) ? null : `${chromiumPath} is missing (apt-get install -y chromium)`
if (missing && process.env.CI) throw new Error(`page tests need a browser: ${missing}`)
if (missing) process.stderr.write(`\n*** SKIPPING page tests: ${missing} ***\n\n`)

describe('the page at /', { skip: missing ?? false }, () => {
  const fixture = workspacesFixture()
  let server: RunningServer
  let browser: Browser
  before(async () => {
    server = await startServer({ workspace: fixture.alpha, env: { SF_WORKSPACES_DIR: fixture.root } })
    browser = await chromium.launch({
      executablePath: chromiumPath,
      // The machine's network is closed: keep Chromium from reaching out at start.
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
  })
  after(async () => {
    await browser?.close()
    server?.kill()
    fixture.cleanup()
  })

  test('lists the projects and shows the running commit and build time in the footer', async () => {
    const page = await browser.newPage()
    await page.goto(server.url)
    const rows = await page.locator('[data-testid=projects] tr td:first-child').allTextContents()
    assert.deepEqual(rows, ['alpha (workspace)', 'beta'])
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim()
    await page.locator('[data-testid=commit]').waitFor({ timeout: 10_000 })
    assert.equal(await page.locator('[data-testid=commit]').textContent(), head.slice(0, 12))
    const version = (await (await fetch(`${server.url}/api/version`)).json()) as { manifest: { builtAt: string } }
    assert.equal(await page.locator('[data-testid=version] time').getAttribute('datetime'), version.manifest.builtAt)
  })

  test('shows the deployment controller panel only once a controller wrote its state', async () => {
    const page = await browser.newPage()
    await page.goto(server.url)
    await page.locator('[data-testid=projects]').waitFor()
    assert.equal(await page.locator('[data-testid=controller]').count(), 0)

    writeControllerState(path.join(server.sfHome, servedStateFile), controllerState())
    await page.reload()
    const panel = page.locator('[data-testid=controller]')
    assert.equal(await panel.locator('h2').textContent(), 'Deployment controller')
    assert.match(String(await panel.locator('[data-testid=controller-channel]').textContent()), new RegExp(`^prod of registry.example.net/sf/sf-server names ${digests.channel.slice(0, 19)}$`))
    assert.equal(await panel.locator(`[data-testid=controller-channel] code[title="${digests.channel}"]`).count(), 1)
    assert.match(String(await panel.locator('[data-testid=controller-serving]').textContent()), /^sha256:b{12} \(commit fedcba987654\) since 2026-11-30 10:05:00$/)
    const text = String(await panel.textContent())
    for (const shown of ['2026-11-30 11:00:00: rolling the channel digest', 'reachable', `Rolling${digests.channel.slice(0, 19)} since`, 'rolled-back at 2026-11-30 10:31:00: the settle window saw 12 5xx of 40 requests']) {
      assert.ok(text.includes(shown), `the panel does not show ${JSON.stringify(shown)}: ${text}`)
    }
    const refused = await page.locator('[data-testid=controller-refused] tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)))
    assert.deepEqual(refused, [
      [digests.refused.slice(0, 19), 'rolled-back (until the channel moves)', '2026-11-30 10:31:00', 'the settle window saw 12 5xx of 40 requests'],
      [`sha256:${'e'.repeat(12)}`, 'untested', '2026-11-30 09:00:00', 'no tested-<hex> tag names it'],
    ])
  })
})
