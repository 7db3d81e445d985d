// GET /api/controller against the real loader and web host: the state the host's controller wrote into
// the server's SF_HOME, answered to anyone, read again on every request.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { request } from 'undici'
import { servedStateFile, writeControllerState } from '../../../lib/server/controller-state.ts'
import { fetchAnswer } from '../../../lib/probe.ts'
import { controllerState } from '../../support/controller.ts'
import { startServer, type RunningServer } from '../../support/server.ts'

describe('GET /api/controller', () => {
  let server: RunningServer
  let file: string
  before(async () => {
    server = await startServer()
    file = path.join(server.sfHome, servedStateFile)
  })
  after(() => server?.kill())

  test('answers {controller: null}, uncached, where no controller wrote its state', async () => {
    fs.rmSync(file, { force: true })
    const res = await request(`${server.url}/api/controller`)
    assert.equal(res.statusCode, 200)
    assert.deepEqual(await res.body.json(), { controller: null })
    assert.equal(res.headers['cache-control'], 'no-store')
  })

  test('answers the state in SF_HOME/controller.json without a token, and the next write at the next request', async () => {
    const state = controllerState()
    writeControllerState(file, state)
    const answer = await fetchAnswer(`${server.url}/api/controller`, { headers: { host: 'probe.example.net' } })
    assert.equal(answer.status, 200, answer.body)
    assert.deepEqual(answer.json, { controller: state })

    const moved = { ...state, channelDigest: `sha256:${'c'.repeat(64)}` }
    writeControllerState(file, moved)
    assert.deepEqual((await fetchAnswer(`${server.url}/api/controller`)).json, { controller: moved })
  })

  test('answers {controller: null} for a file that is not JSON or not a state', async () => {
    for (const text of ['{"target": "prod-1", "chan', JSON.stringify({ ...controllerState(), channel: 'staging' })]) {
      fs.writeFileSync(file, text)
      const answer = await fetchAnswer(`${server.url}/api/controller`)
      assert.equal(answer.status, 200, answer.body)
      assert.deepEqual(answer.json, { controller: null }, text)
    }
  })

  test('refuses any other method with 405 and leaves the file as it was', async () => {
    writeControllerState(file, controllerState())
    const before = fs.readFileSync(file, 'utf8')
    for (const method of ['POST', 'PUT', 'DELETE'] as const) {
      const res = await request(`${server.url}/api/controller`, { method, headers: { 'content-type': 'application/json' }, body: '{"controller":null}' })
      await res.body.text()
      assert.equal(res.statusCode, 405, method)
    }
    assert.equal(fs.readFileSync(file, 'utf8'), before)
  })
})
