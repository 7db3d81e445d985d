// Staged builds are immutable: a later build never rewrites the files a running server started from.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { describe, test } from 'node:test'
import { promisify } from 'node:util'
import { digestTree } from '../../../lib/release/content-digest.ts'
import { readManifest } from '../../../lib/release/manifest.ts'
import { distPaths, repoRoot } from '../../../lib/paths.ts'
import { fetchAnswer } from '../../../lib/probe.ts'
import { currentWebHost } from '../../../lib/release/web-host.ts'
import { startServer, tempDir } from '../../support/server.ts'

const exec = promisify(execFile)
const npmRun = (script: string, cwd = repoRoot) => exec('npm', ['run', '--silent', script], { cwd, maxBuffer: 64 * 1024 * 1024 })

/** A clone of HEAD that shares this checkout's root node_modules but has no web deps and no dist. */
async function scratchCheckout(): Promise<string> {
  const clone = tempDir('clone')
  await exec('git', ['clone', '--quiet', repoRoot, clone])
  fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(clone, 'node_modules'))
  return clone
}

describe('npm run build:web-host', () => {
  test('stages a new build beside the running one, which keeps serving unchanged files', async () => {
    const dist = distPaths()
    const before = await currentWebHost(dist.webStandalone, { verifyDigest: true })
    const server = await startServer()
    try {
      await npmRun('build:web-host')
      await npmRun('write-manifest')
      const after = await currentWebHost(dist.webStandalone, { verifyDigest: true })
      assert.notEqual(after.buildId, before.buildId)
      assert.equal(fs.realpathSync(dist.webStandalone), path.join(dist.webBuilds, after.buildId, 'web'))
      assert.equal(readManifest(dist.manifest)?.webHost.buildId, after.buildId)
      // The old build's files are byte for byte what they were.
      assert.equal(await digestTree(before.dir, (r) => r === 'sf-web-host.json'), before.digest)
      const served = (await fetchAnswer(`${server.url}/api/version`)).json as { manifest: { webHost: { buildId: string } } }
      assert.equal(served.manifest.webHost.buildId, before.buildId, 'the running server still reports the build it started from')
      assert.equal((await fetchAnswer(`${server.url}/`)).status, 200, 'and still serves its pages')
    } finally {
      server.kill()
    }
  })

  test('refuses with the fix when the web dependencies are missing', async () => {
    const clone = await scratchCheckout()
    try {
      const failed = await npmRun('build:web-host', clone).then(() => null, (e: { code: number; stderr: string }) => e)
      assert.ok(failed, 'the build must fail')
      assert.equal(failed.code, 1)
      assert.match(failed.stderr, /error: web dependencies are missing .*: run npm --prefix web ci/)
      assert.equal(fs.existsSync(path.join(clone, 'dist')), false, 'nothing was staged')
    } finally {
      fs.rmSync(clone, { recursive: true, force: true })
    }
  })
})

describe('npm run write-manifest', () => {
  test('refuses a staged web host whose files changed after the build', async () => {
    const clone = await scratchCheckout()
    try {
      // A copy of the staged build in a scratch checkout, so the real one is never touched.
      const dist = distPaths(clone)
      const host = await currentWebHost(distPaths().webStandalone, { verifyDigest: false })
      fs.mkdirSync(dist.webBuilds, { recursive: true })
      fs.cpSync(host.dir, path.join(dist.webBuilds, host.buildId), { recursive: true, verbatimSymlinks: true })
      fs.symlinkSync(path.join('builds', host.buildId, 'web'), dist.webStandalone)
      fs.appendFileSync(path.join(dist.webBuilds, host.buildId, 'web', 'server.js'), '\n// changed\n')
      const failed = await npmRun('write-manifest', clone).then(() => null, (e: { code: number; stderr: string }) => e)
      assert.equal(failed?.code, 1)
      assert.match(failed.stderr, /error: the staged web host .* changed after it was built .*: run npm run build:web-host/)
      assert.equal(fs.existsSync(dist.manifest), false, 'no manifest was written')
    } finally {
      fs.rmSync(clone, { recursive: true, force: true })
    }
  })
})
