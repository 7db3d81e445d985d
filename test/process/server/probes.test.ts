// The probe contract and admin auth, against the real loader and the staged web host.
import { execFileSync } from 'node:child_process'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { request } from 'undici'
import { fetchAnswer, waitFor } from '../../../lib/probe.ts'
import { distPaths, repoRoot } from '../../../lib/paths.ts'
import { workspacesFixture } from '../../support/fixtures.ts'
import { startServer, tempDir, type RunningServer } from '../../support/server.ts'

describe('a server started by the loader', () => {
  const fixture = workspacesFixture()
  let server: RunningServer
  before(async () => {
    server = await startServer({ workspace: fixture.alpha, env: { SF_WORKSPACES_DIR: fixture.root } })
  })
  after(() => {
    server?.kill()
    fixture.cleanup()
  })

  test('answers /api/healthz with 200', async () => {
    const answer = await fetchAnswer(`${server.url}/api/healthz`)
    assert.equal(answer.status, 200)
    assert.deepEqual(answer.json, { status: 'ok' })
  })

  test('answers /api/ready with 200 and the hooks it ran', async () => {
    const answer = await fetchAnswer(`${server.url}/api/ready`)
    assert.equal(answer.status, 200, answer.body)
    const body = answer.json as { ready: boolean; hooks: { name: string; ok: boolean }[] }
    assert.equal(body.ready, true)
    assert.ok(body.hooks.some((h) => h.name === 'workspace' && h.ok))
  })

  test('serves in /api/version the manifest on disk, which names the git HEAD', async () => {
    const answer = await fetchAnswer(`${server.url}/api/version`)
    assert.equal(answer.status, 200, answer.body)
    const body = answer.json as { manifest: { git: { commit: string } }; startedAt: string; uptimeSeconds: number }
    const onDisk = JSON.parse(fs.readFileSync(distPaths().manifest, 'utf8'))
    assert.deepEqual(body.manifest, onDisk)
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim()
    assert.equal(body.manifest.git.commit, head)
    assert.ok(Date.parse(body.startedAt) <= Date.now())
    assert.ok(body.uptimeSeconds >= 0)
  })

  test('lists the workspace and the repos under the workspaces dir, and nothing a link leads outside', async () => {
    const answer = await fetchAnswer(`${server.url}/api/projects`)
    assert.equal(answer.status, 200, answer.body)
    const body = answer.json as { workspace: { path: string }; projects: { name: string; current: boolean }[]; skipped: { path: string }[] }
    assert.equal(body.workspace.path, fixture.alpha)
    assert.deepEqual(body.projects.map((p) => [p.name, p.current]), [['alpha', true], ['beta', false]])
    assert.ok(body.skipped.some((s) => s.path.endsWith('escape')))
    assert.ok(!answer.body.includes('secret-repo'), 'the escaping link target must not be named')
  })

  test('never shows the admin token in a probe', async () => {
    const token = server.adminToken()
    for (const probe of ['healthz', 'ready', 'version', 'controller', 'projects']) {
      const answer = await fetchAnswer(`${server.url}/api/${probe}`)
      assert.ok(!answer.body.includes(token), `/api/${probe} leaks the admin token`)
    }
  })

  test('answers a POST with a Next-Action header (there are no server actions) with 400, and logs no stack for it', async () => {
    for (const where of ['/', '/no-such-page']) {
      const res = await request(`${server.url}${where}`, { method: 'POST', headers: { 'next-action': 'abc', 'content-type': 'text/plain' }, body: 'x' })
      await res.body.text()
      assert.equal(res.statusCode, 400, where)
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
    assert.doesNotMatch(server.output(), /Server Reference ID|^\s+at /m)
  })

  test('made SF_HOME/admin-token readable by its owner only', () => {
    const mode = fs.statSync(path.join(server.sfHome, 'admin-token')).mode & 0o777
    assert.equal(mode, 0o600)
  })

  test('refuses /api/drain without the admin token (401), with a wrong one (401), and drains with it', async () => {
    const none = await fetchAnswer(`${server.url}/api/drain`, { method: 'POST' })
    assert.equal(none.status, 401)
    const wrong = await fetchAnswer(`${server.url}/api/drain`, { method: 'POST', headers: { authorization: 'Bearer not-the-token-at-all' } })
    assert.equal(wrong.status, 401)
    assert.equal((await fetchAnswer(`${server.url}/api/ready`)).status, 200, 'a refused drain must not drain')

    const ok = await fetchAnswer(`${server.url}/api/drain`, { method: 'POST', headers: { authorization: `Bearer ${server.adminToken()}` } })
    assert.equal(ok.status, 202, ok.body)
    const ready = await fetchAnswer(`${server.url}/api/ready`)
    assert.equal(ready.status, 503)
    assert.match(String((ready.json as { reason: string }).reason), /draining/)
    assert.equal((await fetchAnswer(`${server.url}/api/healthz`)).status, 200, 'a drain on demand keeps the process up')
  })
})

describe('a server with no admin token configured', () => {
  test('answers admin endpoints with 403 and says how to set a token', async () => {
    // SF_HOME below a regular file cannot be created, even by root.
    const dir = tempDir('blocked')
    fs.writeFileSync(path.join(dir, 'file'), '')
    const server = await startServer({ env: { SF_HOME: path.join(dir, 'file', '.sf') } })
    try {
      const answer = await fetchAnswer(`${server.url}/api/drain`, { method: 'POST', headers: { authorization: 'Bearer anything-at-all-here' } })
      assert.equal(answer.status, 403)
      assert.match(String((answer.json as { error: string }).error), /SF_ADMIN_TOKEN/)
      assert.ok(!answer.body.includes(dir), `the answer names SF_HOME's path: ${answer.body}`)
      assert.equal((await fetchAnswer(`${server.url}/api/ready`)).status, 200)
    } finally {
      server.kill()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  test('answers /api/version with 503 and the fix when it started without a manifest', async () => {
    const missing = path.join(tempDir('no-manifest'), 'sf-release-manifest.json')
    const server = await startServer({ env: { SF_RELEASE_MANIFEST: missing } })
    try {
      const answer = await fetchAnswer(`${server.url}/api/version`)
      assert.equal(answer.status, 503)
      assert.match(String((answer.json as { error: string }).error), /no release manifest at .*: run npm run write-manifest/)
      assert.match(server.output(), /warning: no release manifest at/)
      assert.equal((await fetchAnswer(`${server.url}/api/ready`)).status, 200, 'still ready: the probes work without it')
    } finally {
      server.kill()
    }
  })

  test('refuses a token another user planted in an SF_HOME anyone may write: /api/drain answers 403, not 200', async () => {
    const sfHome = tempDir('planted')
    fs.chmodSync(sfHome, 0o777)
    const planted = 'planted-by-another-user-0123456789'
    fs.writeFileSync(path.join(sfHome, 'admin-token'), `${planted}\n`, { mode: 0o644 })
    fs.chownSync(path.join(sfHome, 'admin-token'), 12345, 12345)
    const server = await startServer({ env: { SF_HOME: sfHome } })
    try {
      const answer = await fetchAnswer(`${server.url}/api/drain`, { method: 'POST', headers: { authorization: `Bearer ${planted}` } })
      assert.equal(answer.status, 403, answer.body)
      // Why is for the log, which names SF_HOME; the answer names no path.
      const error = String((answer.json as { error: string }).error)
      assert.match(error, /admin endpoints are disabled: .*the server log says why/)
      assert.ok(!error.includes(sfHome), error)
      assert.match(server.output(), /admin endpoints disabled: .* \(SF_HOME\) has mode 0777/)
      assert.equal((await fetchAnswer(`${server.url}/api/ready`)).status, 200, 'still serving, without admin')
    } finally {
      server.kill()
    }
  })

  test('uses SF_ADMIN_TOKEN when it is set', async () => {
    const token = 'a-token-from-the-environment-0123'
    const server = await startServer({ env: { SF_ADMIN_TOKEN: token } })
    try {
      const answer = await fetchAnswer(`${server.url}/api/drain`, { headers: { authorization: `Bearer ${token}` } })
      assert.equal(answer.status, 200, answer.body)
      assert.equal(fs.existsSync(path.join(server.sfHome, 'admin-token')), false)
    } finally {
      server.kill()
    }
  })
})

describe('a manifest swapped between the loader check and the web host read', () => {
  test('makes the web host refuse to start instead of reporting a build it does not serve', async () => {
    const dir = tempDir('swap')
    // A FIFO hands the loader the true manifest and the web host, which reads it next, another one.
    const fifo = path.join(dir, 'sf-release-manifest.json')
    execFileSync('mkfifo', [fifo])
    const real = JSON.parse(fs.readFileSync(distPaths().manifest, 'utf8'))
    const other = { ...real, webHost: { ...real.webHost, buildId: `${real.webHost.buildId}-other` } }
    let fed = false
    let server: RunningServer | undefined
    const feed = (async () => {
      await fs.promises.writeFile(fifo, JSON.stringify(real))
      // The loader has read the pipe to its end and closed it once it starts the web host. Writing the
      // second manifest only then keeps the two from reaching one reader as one text.
      while (!server?.output().includes('web host pid')) await new Promise((resolve) => setTimeout(resolve, 10))
      await fs.promises.writeFile(fifo, JSON.stringify(other))
      fed = true
    })()
    server = await startServer({ env: { SF_RELEASE_MANIFEST: fifo }, waitReady: false })
    let exitCode: number | null = null
    void server.exited.then((c) => (exitCode = c))
    try {
      const outcome = await Promise.race([
        server.exited.then((code) => ({ code })),
        waitFor(`${server.url}/api/version`, { deadlineMs: 30_000, abortIf: () => (exitCode === null ? null : 'exited') }).then((a) => ({
          reported: (a.json as { manifest: { webHost: { buildId: string } } }).manifest.webHost.buildId,
        })),
      ])
      assert.deepEqual(outcome, { code: 1 }, server.output())
      assert.match(server.output(), new RegExp(`describes web host build ${other.webHost.buildId}, but the build served is ${real.webHost.buildId}: refusing to start`))
      await feed
    } finally {
      server.kill()
      // Release a writer still waiting for a reader, so nothing blocks the test process.
      if (!fed) fs.closeSync(fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK))
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
