// /api/projects and the page as an attacker or a careless operator meets them: a workspace moved
// away while the server runs, and requests under a host name the server is not known by.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { describe, test } from 'node:test'
import { request } from 'undici'
import { fetchAnswer } from '../../../lib/probe.ts'
import { workspacesFixture } from '../../support/fixtures.ts'
import { startServer } from '../../support/server.ts'

/** A GET with the Host header set as a browser on another site would set it. */
async function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  const res = await request(url, { headers: { host }, headersTimeout: 10_000, bodyTimeout: 10_000 })
  return { status: res.statusCode, body: await res.body.text() }
}

describe('a workspace moved away while the server runs', () => {
  test('/api/projects and the page say what is missing instead of an empty 500', async () => {
    const fixture = workspacesFixture()
    const server = await startServer({ workspace: fixture.alpha, env: { SF_WORKSPACES_DIR: fixture.root } })
    const moved = `${fixture.root}-moved`
    try {
      fs.renameSync(fixture.root, moved)
      const api = await fetchAnswer(`${server.url}/api/projects`, { timeoutMs: 10_000 })
      assert.equal(api.status, 200, api.body)
      const body = api.json as { projects: unknown[]; problems: string[] }
      assert.deepEqual(body.projects, [])
      assert.ok(body.problems.some((p) => p.startsWith(`SF_WORKSPACES_DIR ${fixture.root} is missing`)), api.body)
      const page = await fetchAnswer(server.url, { timeoutMs: 10_000 })
      assert.equal(page.status, 200, page.body.slice(0, 500))
      assert.match(page.body, /SF_WORKSPACES_DIR .* is missing/)
    } finally {
      server.kill()
      if (fs.existsSync(moved)) fs.renameSync(moved, fixture.root)
      fixture.cleanup()
    }
  })
})

describe('a workspace that is gone', () => {
  test('/api/ready answers 503 saying so, without the workspace path', async () => {
    const fixture = workspacesFixture()
    const server = await startServer({ workspace: fixture.alpha, env: { SF_WORKSPACES_DIR: fixture.root } })
    try {
      fs.rmSync(fixture.alpha, { recursive: true, force: true })
      const ready = await fetchAnswer(`${server.url}/api/ready`)
      assert.equal(ready.status, 503, ready.body)
      assert.match(ready.body, /readiness hook workspace failed: the workspace .*ENOENT/)
      assert.ok(!ready.body.includes(fixture.root), ready.body)
    } finally {
      server.kill()
      fixture.cleanup()
    }
  })
})

describe('a workspaces dir with more repos than a listing shows', () => {
  test('/api/projects and the page list the first 1000 and say how many more there are', async () => {
    const fixture = workspacesFixture()
    // The fixture's two repos and these 1001 make 1003.
    for (let i = 0; i < 1001; i++) fs.mkdirSync(`${fixture.root}/many-${String(i).padStart(4, '0')}/.git`, { recursive: true })
    const server = await startServer({ workspace: fixture.alpha, env: { SF_WORKSPACES_DIR: fixture.root } })
    try {
      const api = await fetchAnswer(`${server.url}/api/projects`, { timeoutMs: 10_000 })
      const body = api.json as { projects: unknown[]; problems: string[] }
      assert.equal(body.projects.length, 1000)
      assert.ok(body.problems.includes('3 more projects not shown: the listing shows the first 1000'), body.problems.join('\n'))
      const page = await fetchAnswer(server.url, { timeoutMs: 10_000 })
      assert.match(page.body, /3 more projects not shown/)
    } finally {
      server.kill()
      fixture.cleanup()
    }
  })
})

describe('the Host header (DNS rebinding)', () => {
  test('/api/projects and the page answer only addresses, loopback names and SF_ALLOWED_HOSTS', async () => {
    const fixture = workspacesFixture()
    const server = await startServer({ workspace: fixture.alpha, env: { SF_WORKSPACES_DIR: fixture.root, SF_ALLOWED_HOSTS: 'sf.example.test' } })
    try {
      for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, `sf.example.test:${server.port}`]) {
        const answer = await getWithHost(`${server.url}/api/projects`, host)
        assert.equal(answer.status, 200, `${host}: ${answer.body}`)
        assert.ok(answer.body.includes(fixture.alpha), host)
      }
      const api = await getWithHost(`${server.url}/api/projects`, `rebind.attacker.test:${server.port}`)
      assert.equal(api.status, 403, api.body)
      assert.match(api.body, /not a name this server answers to \(DNS rebinding protection\).*SF_ALLOWED_HOSTS/)
      assert.ok(!api.body.includes(fixture.root), 'no paths for a foreign host')
      const page = await getWithHost(server.url, `rebind.attacker.test:${server.port}`)
      assert.equal(page.status, 403, page.body.slice(0, 500))
      assert.ok(!page.body.includes(fixture.root), 'no paths on the page for a foreign host')
      assert.equal((await getWithHost(`${server.url}/api/healthz`, `rebind.attacker.test:${server.port}`)).status, 200, 'the probes stay open')
    } finally {
      server.kill()
      fixture.cleanup()
    }
  })
})
