import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { credentialsProblem, withRegistryAccess } from '../../../lib/authority/credentials.ts'
import { ConfigError, InterruptedError } from '../../../lib/errors.ts'

test('credentials are both or neither', () => {
  assert.equal(credentialsProblem({ registry: 'r.example' }), null)
  assert.equal(credentialsProblem({ registry: 'r.example', user: 'ci', password: 'secret' }), null)
  assert.match(credentialsProblem({ registry: 'r.example', user: 'ci' }) ?? '', /SF_REGISTRY_PASSWORD is not/)
  assert.match(credentialsProblem({ registry: 'r.example', password: 'secret' }) ?? '', /SF_REGISTRY_USER is not/)
})

test('a docker config holds them for the registry host only while the call runs, then is gone', async () => {
  let dir = ''
  const config = await withRegistryAccess({ registry: 'r.example:5000/sf', user: 'ci', password: 's3cret' }, { PATH: '/bin' }, async (env) => {
    dir = env.DOCKER_CONFIG!
    assert.equal(env.PATH, '/bin')
    assert.equal(fs.statSync(path.join(dir, 'config.json')).mode & 0o777, 0o600)
    return JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as unknown
  })
  assert.deepEqual(config, { auths: { 'r.example:5000': { auth: Buffer.from('ci:s3cret').toString('base64') } } })
  assert.equal(fs.existsSync(dir), false)
})

test('without credentials the env passes as it is; half a pair is refused before the call', async () => {
  const env = { PATH: '/bin' }
  assert.equal(await withRegistryAccess({ registry: 'r.example' }, env, async (e) => e), env)
  let called = false
  await assert.rejects(
    withRegistryAccess({ registry: 'r.example', user: 'ci' }, env, async () => (called = true)),
    (e: unknown) => e instanceof ConfigError,
  )
  assert.equal(called, false)
})

test('a signal while the call runs aborts it, removes the docker config and names the signal', async () => {
  const before = process.listenerCount('SIGTERM')
  let dir = ''
  await assert.rejects(
    withRegistryAccess({ registry: 'r.example', user: 'ci', password: 's3cret' }, {}, (env, signal) => {
      dir = env.DOCKER_CONFIG!
      process.emit('SIGTERM', 'SIGTERM')
      assert.equal(signal.aborted, true)
      return Promise.reject(new Error('docker was stopped'))
    }),
    (e: unknown) => e instanceof InterruptedError && e.signal === 'SIGTERM' && e.message === 'interrupted by SIGTERM: docker stopped and the registry credentials removed',
  )
  assert.equal(fs.existsSync(dir), false)
  assert.equal(process.listenerCount('SIGTERM'), before, 'the signal handler is left installed')
})
