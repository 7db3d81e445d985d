// POST /api/server-upgrade's refusals against the real loader and web host: each one is answered
// before anything is started, so no upgrade is recorded and no upgrader is asked for.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { request } from 'undici'
import { fetchAnswer } from '../../../lib/probe.ts'
import { repoRoot } from '../../../lib/paths.ts'
import { workspacesFixture } from '../../support/fixtures.ts'
import { startServer, tempDir, type RunningServer } from '../../support/server.ts'

const post = (url: string, o: { token?: string } = {}) => fetchAnswer(url, { method: 'POST', headers: o.token ? { authorization: `Bearer ${o.token}` } : {} })

/** fetchAnswer sends no body; these requests need one. */
async function postBody(url: string, token: string, body: string, headers: Record<string, string> = {}) {
  const r = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers }, body })
  return { status: r.status, json: (await r.json()) as { error?: string } }
}

/** Nothing started: no upgrade recorded under SF_HOME. */
function upgradesRecorded(sfHome: string): string[] {
  const vega = path.join(sfHome, 'vega')
  if (!fs.existsSync(vega)) return []
  return fs.readdirSync(vega).flatMap((name) => {
    const dir = path.join(vega, name, 'upgrades')
    return fs.existsSync(dir) ? fs.readdirSync(dir) : []
  })
}

describe('POST /api/server-upgrade on a server that does not run in a vega container', () => {
  const fixture = workspacesFixture()
  let server: RunningServer
  let url: string
  before(async () => {
    server = await startServer({ workspace: fixture.alpha, env: { SF_WORKSPACES_DIR: fixture.root } })
    url = `${server.url}/api/server-upgrade`
  })
  after(() => {
    server?.kill()
    fixture.cleanup()
    assert.deepEqual(upgradesRecorded(server.sfHome), [], 'no refusal started anything')
  })

  test('without a token, or with a wrong one: 401', async () => {
    assert.equal((await post(url)).status, 401)
    assert.equal((await post(url, { token: 'x'.repeat(32) })).status, 401)
    assert.equal((await post(`${url}/rollback`, { token: 'x'.repeat(32) })).status, 401)
    assert.equal((await fetchAnswer(url)).status, 401, 'the overview is admin too')
  })

  test('a cookie never stands for the token', async () => {
    const r = await fetch(url, { method: 'POST', headers: { cookie: `token=${server.adminToken()}; authorization=Bearer ${server.adminToken()}` }, body: '{}' })
    assert.equal(r.status, 401)
  })

  test('from a page of another origin: 403 naming it, even with the right token', async () => {
    const answer = await postBody(url, server.adminToken(), '{}', { origin: 'http://evil.example' })
    assert.equal(answer.status, 403)
    assert.match(answer.json.error ?? '', /origin http:\/\/evil\.example is refused/)
  })

  test('a body that is not {} or {expectCommit}: 400 naming the problem', async () => {
    for (const [body, message] of [['{', /not JSON/], ['{"expectCommit":"main"}', /7 to 40 lower-case hex/], ['{"force":true}', /unknown field/]] as const) {
      const answer = await postBody(url, server.adminToken(), body)
      assert.equal(answer.status, 400, body)
      assert.match(answer.json.error ?? '', message)
    }
  })

  test('expectCommit that is not the checkout’s HEAD: the 503 that no upgrade is possible here comes first', async () => {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim()
    const other = head.startsWith('0') ? '1'.repeat(40) : '0'.repeat(40)
    const answer = await postBody(url, server.adminToken(), JSON.stringify({ expectCommit: other }))
    assert.equal(answer.status, 503)
    assert.match(answer.json.error ?? '', /cannot upgrade itself/)
  })

  test('a body over 4 KB: 413 without reading it all, and a bad value is quoted only in part', async () => {
    const huge = await postBody(url, server.adminToken(), JSON.stringify({ expectCommit: 'a'.repeat(1_000_000) }))
    assert.equal(huge.status, 413)
    assert.ok(JSON.stringify(huge.json).length < 500, JSON.stringify(huge.json).slice(0, 600))
    const long = await postBody(url, server.adminToken(), JSON.stringify({ expectCommit: 'z'.repeat(3000) }))
    assert.equal(long.status, 400)
    assert.match(long.json.error ?? '', /7 to 40 lower-case hex/)
    assert.ok((long.json.error ?? '').length < 500, long.json.error)
  })

  test('under a host name the server is not known by: 403 before the token is looked at (DNS rebinding)', async () => {
    for (const [method, path] of [['POST', '/api/server-upgrade'], ['GET', '/api/server-upgrade'], ['GET', '/api/drain']] as const) {
      const res = await request(`${server.url}${path}`, { method, headers: { host: 'rebind.attacker.test', authorization: `Bearer ${server.adminToken()}` }, body: method === 'POST' ? '{}' : undefined })
      const body = await res.body.text()
      assert.equal(res.statusCode, 403, `${method} ${path}: ${body}`)
      assert.match(body, /DNS rebinding protection/)
    }
  })

  test('an upgrade id that is not valid percent-encoding: 400, not 500', async () => {
    const answer = await fetchAnswer(`${server.url}/api/server-upgrade/%ff%fe/events`, { headers: { authorization: `Bearer ${server.adminToken()}` } })
    assert.equal(answer.status, 400, answer.body)
    assert.match(answer.body, /not valid percent-encoding/)
  })

  test('the events of a finished upgrade end at once for a Last-Event-ID past the last line', async () => {
    const id = '20260101T000000Z-abcdef'
    const dir = path.join(server.sfHome, 'vega', 'sf-server-vega', 'upgrades')
    fs.mkdirSync(dir, { recursive: true })
    fs.writeFileSync(path.join(dir, `${id}.jsonl`), '{"event":"requested"}\n{"event":"outcome","outcome":"succeeded"}\n')
    const auth = { authorization: `Bearer ${server.adminToken()}` }
    try {
      for (const lastSeen of ['2', '99']) {
        const answer = await fetchAnswer(`${server.url}/api/server-upgrade/${id}/events`, { headers: { ...auth, 'last-event-id': lastSeen }, timeoutMs: 5000 })
        assert.equal(answer.status, 200, answer.body)
        assert.doesNotMatch(answer.body, /event: outcome/, `Last-Event-ID ${lastSeen}`)
      }
      const all = await fetchAnswer(`${server.url}/api/server-upgrade/${id}/events`, { headers: auth, timeoutMs: 5000 })
      assert.match(all.body, /id: 2\nevent: outcome/)
    } finally {
      fs.rmSync(path.join(server.sfHome, 'vega'), { recursive: true, force: true })
    }
  })

  test('from its own page, with the right token and HEAD: 503, as no host paths or socket were given it (npm start)', async () => {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim()
    const answer = await postBody(url, server.adminToken(), JSON.stringify({ expectCommit: head }), { origin: server.url })
    assert.equal(answer.status, 503)
    assert.match(answer.json.error ?? '', /SF_SOURCE_HOST_ROOT, SF_WORKSPACE_HOST_DIR, SF_WORKSPACES_HOST_DIR, SF_HOME_HOST_DIR are not set.*npm run docker:vega:upgrade/)
    const rollback = await postBody(`${url}/rollback`, server.adminToken(), '')
    assert.equal(rollback.status, 503)
  })

  test('GET says what an upgrade would build and why it cannot start here', async () => {
    const answer = await fetchAnswer(url, { headers: { authorization: `Bearer ${server.adminToken()}` } })
    assert.equal(answer.status, 200, answer.body)
    const body = answer.json as { serving: { commit: string }; checkout: { commit: string }; unavailable: string }
    assert.equal(body.checkout.commit, execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim())
    assert.equal(body.serving.commit.length, 40)
    assert.match(body.unavailable, /cannot upgrade itself/)
  })
})

describe('POST /api/server-upgrade with the host paths but no docker socket', () => {
  const fixture = workspacesFixture()
  const hostDirs = tempDir('hostdirs')
  let server: RunningServer
  before(async () => {
    server = await startServer({
      workspace: fixture.alpha,
      env: {
        SF_WORKSPACES_DIR: fixture.root,
        SF_SOURCE_HOST_ROOT: hostDirs,
        SF_WORKSPACE_HOST_DIR: hostDirs,
        SF_WORKSPACES_HOST_DIR: hostDirs,
        SF_HOME_HOST_DIR: hostDirs,
        SF_DOCKER_SOCKET: path.join(hostDirs, 'no-docker.sock'),
      },
    })
  })
  after(() => {
    server?.kill()
    fixture.cleanup()
    fs.rmSync(hostDirs, { recursive: true, force: true })
  })

  test('503 naming the socket that is not mounted, nothing started', async () => {
    const answer = await postBody(`${server.url}/api/server-upgrade`, server.adminToken(), '{}')
    assert.equal(answer.status, 503)
    assert.match(answer.json.error ?? '', /the docker socket .*no-docker\.sock is not mounted into it/)
    assert.deepEqual(upgradesRecorded(server.sfHome), [])
  })
})
