// The page at / in a real browser: the projects list and the running version in the footer.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { chromium, type Browser } from 'playwright-core'
import { repoRoot } from '../../../lib/paths.ts'
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
})
