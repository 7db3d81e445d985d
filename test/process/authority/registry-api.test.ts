// Process tier: the registry API client against a real registry (Debian's docker-registry on
// 127.0.0.1, no engine), with images put in through the distribution API itself. Tags resolved and
// moved, labels read from the config blob, the tested evidence, a registry that stopped; and, through
// a gate in front of it, a registry that asks for a Bearer token or for Basic credentials, or sends
// blob reads elsewhere.
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { RegistryError } from '../../../lib/authority/errors.ts'
import { recordTested, testedEvidence } from '../../../lib/authority/evidence.ts'
import { testedTag } from '../../../lib/authority/image-ref.ts'
import { RegistryClient } from '../../../lib/authority/registry-api.ts'
import { startRegistryGate, type RegistryGate } from '../../support/registry-gate.ts'
import { pushTinyImage, startRegistry, type TestRegistry } from '../../support/registry.ts'

const name = 'sf/sf-server'
const revision = crypto.randomBytes(20).toString('hex')
const labelsOf = (buildId: string) => ({ 'org.opencontainers.image.revision': revision, 'sf.build-id': buildId })
const credentials = { user: 'deployer', password: crypto.randomBytes(12).toString('hex') }

/** The error `call` rejects with, so that its message can be matched and shown when it does not. */
async function failure(call: Promise<unknown>): Promise<Error> {
  try {
    await call
  } catch (error) {
    return error as Error
  }
  assert.fail('the call succeeded where it should have failed')
}

describe('the registry API client against a real registry', () => {
  let registry: TestRegistry
  let first = ''
  let second = ''
  let client: RegistryClient
  before(async () => {
    registry = await startRegistry()
    first = await pushTinyImage(registry, name, 'build-b1', labelsOf('b1'))
    second = await pushTinyImage(registry, name, 'build-b2', labelsOf('b2'))
    client = new RegistryClient(`${registry.address}/${name}`, { registry: `${registry.address}/sf` })
  })
  after(() => registry?.stop())

  test('resolves a tag to the digest of the manifest bytes pushed under it', async () => {
    assert.notEqual(first, second)
    assert.equal(await client.resolve('build-b1'), first)
    assert.equal(await client.resolve('build-b2'), second)
  })

  test('resolves a tag the registry does not hold to null', async () => {
    assert.equal(await client.resolve('no-such-tag'), null)
  })

  test('moves a tag to a digest, and then to another', async () => {
    await client.tag('prod', first)
    assert.equal(await client.resolve('prod'), first)
    await client.tag('prod', second)
    assert.equal(await client.resolve('prod'), second)
    assert.equal(await client.resolve('build-b1'), first, 'moving prod leaves the tag it came from alone')
  })

  test('reads the labels from the config blob of the image a digest names', async () => {
    assert.deepEqual(await client.labels(first), labelsOf('b1'))
    assert.deepEqual(await client.labels(second), labelsOf('b2'))
  })

  test('recorded evidence is ok for the tested digest and untested for any other', async () => {
    const tag = await recordTested(client, first)
    assert.equal(tag, `${client.repository}:${testedTag(first)}`)
    assert.deepEqual(await testedEvidence(client, first), { ok: true, tag })
    const other = await testedEvidence(client, second)
    assert.ok(!other.ok)
    assert.equal(other.why, 'untested')
    assert.match(other.reason, /the registry has no .*:tested-/)
  })

  test('evidence whose tag points at another digest is untested, and says where it points', async () => {
    await client.tag(testedTag(second), first)
    const evidence = await testedEvidence(client, second)
    assert.ok(!evidence.ok)
    assert.equal(evidence.why, 'untested')
    assert.ok(evidence.reason.includes(`points at ${first}, not ${second}`), evidence.reason)
  })

  describe('through a gate that asks for a Bearer token', () => {
    let gate: RegistryGate
    const through = (user = credentials.user, password = credentials.password) =>
      new RegistryClient(`${gate.address}/${name}`, { registry: `${gate.address}/sf`, user, password })
    before(async () => {
      gate = await startRegistryGate(registry.url, credentials)
    })
    after(() => gate?.close())

    test('with the right credentials resolves, reads labels and moves a tag, asking for pull,push to move it', async () => {
      const client = through()
      const from = gate.scopes.length
      assert.equal(await client.resolve('build-b1'), first)
      assert.deepEqual(await client.labels(first), labelsOf('b1'))
      await client.tag('gated', first)
      assert.deepEqual(gate.scopes.slice(from), [`repository:${name}:pull`, `repository:${name}:pull,push`])
      assert.equal(await client.resolve('gated'), first)
    })

    test('asks for one token per scope and reuses it over several calls', async () => {
      const client = through()
      const from = gate.scopes.length
      for (let i = 0; i < 3; i++) assert.equal(await client.resolve('build-b2'), second)
      // 401, the token, the HEAD again; then one HEAD each.
      assert.equal(client.requests, 5)
      for (const tag of ['reused-1', 'reused-2']) await client.tag(tag, second)
      // First move: the manifest GET with the pull token, the PUT's 401, a push token, the PUT again.
      // Second: the GET and the PUT.
      assert.equal(client.requests, 5 + 4 + 2)
      assert.deepEqual(gate.scopes.slice(from), [`repository:${name}:pull`, `repository:${name}:pull,push`])
    })

    test('with wrong credentials fails with a RegistryError that names the 401 and SF_REGISTRY_USER', async () => {
      const error = await failure(through(credentials.user, 'wrong').resolve('build-b1'))
      assert.ok(error instanceof RegistryError, String(error))
      assert.match(error.message, new RegExp(`the registry ${gate.address} .* answered 401`))
      assert.match(error.message, /SF_REGISTRY_USER/)
    })
  })

  describe('through a gate that sends blob reads to a signed URL, as object storage does', () => {
    let gate: RegistryGate
    before(async () => {
      gate = await startRegistryGate(registry.url, { ...credentials, signedBlobs: true })
    })
    after(() => gate?.close())

    test('reads the labels from the signed URL, without sending it the credentials', async () => {
      const client = new RegistryClient(`${gate.address}/${name}`, { registry: `${gate.address}/sf`, ...credentials })
      assert.deepEqual(await client.labels(second), labelsOf('b2'))
    })
  })

  describe('through a gate that asks for Basic credentials', () => {
    let gate: RegistryGate
    before(async () => {
      gate = await startRegistryGate(registry.url, { ...credentials, scheme: 'basic' })
    })
    after(() => gate?.close())

    test('with the credentials resolves a tag', async () => {
      const client = new RegistryClient(`${gate.address}/${name}`, { registry: `${gate.address}/sf`, ...credentials })
      assert.equal(await client.resolve('build-b2'), second)
      assert.deepEqual(gate.scopes, [], 'a Basic registry has no token service to ask')
    })

    test('without credentials fails asking to set SF_REGISTRY_USER and SF_REGISTRY_PASSWORD', async () => {
      const client = new RegistryClient(`${gate.address}/${name}`, { registry: `${gate.address}/sf` })
      const error = await failure(client.resolve('build-b2'))
      assert.ok(error instanceof RegistryError, String(error))
      assert.match(error.message, new RegExp(`the registry ${gate.address} .*asks for credentials: set SF_REGISTRY_USER and SF_REGISTRY_PASSWORD`))
    })
  })

  describe('with the registry stopped', () => {
    before(() => registry.stop())

    test('resolve throws a RegistryError naming the registry and the refused connection', async () => {
      const error = await failure(client.resolve('build-b1'))
      assert.ok(error instanceof RegistryError, String(error))
      assert.match(error.message, new RegExp(`the registry ${registry.address} .*connection refused`))
    })

    test('the evidence says the registry did not answer, not that the digest is untested', async () => {
      const evidence = await testedEvidence(client, first)
      assert.ok(!evidence.ok)
      assert.equal(evidence.why, 'registry')
      assert.match(evidence.reason, /connection refused/)
    })
  })
})
