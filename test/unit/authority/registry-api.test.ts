import assert from 'node:assert/strict'
import { test } from 'node:test'
import { networkFailure, parseChallenge, registryBaseUrl, splitRepository } from '../../../lib/authority/registry-api.ts'

test('a registry on loopback is spoken to over http, any other over https, as docker does', () => {
  assert.equal(registryBaseUrl('127.0.0.1:5000'), 'http://127.0.0.1:5000')
  assert.equal(registryBaseUrl('localhost:5000'), 'http://localhost:5000')
  assert.equal(registryBaseUrl('[::1]:5000'), 'http://[::1]:5000')
  assert.equal(registryBaseUrl('forgejo.example:3000'), 'https://forgejo.example:3000')
  assert.equal(registryBaseUrl('127.example'), 'https://127.example')
})

test('a repository splits into its registry host and its name there', () => {
  assert.deepEqual(splitRepository('127.0.0.1:5000/sf/sf-server'), { host: '127.0.0.1:5000', name: 'sf/sf-server' })
  assert.deepEqual(splitRepository('forgejo.example/org/team/sf-server'), { host: 'forgejo.example', name: 'org/team/sf-server' })
})

test("a Bearer challenge gives the token service's realm, service and scope", () => {
  // What Forgejo's registry answers a HEAD without a token.
  const forgejo = parseChallenge('Bearer realm="https://forgejo.example/v2/token",service="container_registry",scope="*"')
  assert.deepEqual(forgejo, { scheme: 'bearer', params: { realm: 'https://forgejo.example/v2/token', service: 'container_registry', scope: '*' } })
  assert.deepEqual(parseChallenge('Basic realm="Registry Realm"'), { scheme: 'basic', params: { realm: 'Registry Realm' } })
})

test('connection errors read as words, with the message as the fallback', () => {
  assert.equal(networkFailure(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5000'), { code: 'ECONNREFUSED' })), 'connection refused')
  assert.equal(networkFailure(Object.assign(new Error('fetch failed'), { cause: { code: 'ENOTFOUND' } })), 'no such host')
  assert.equal(networkFailure(new Error('something else')), 'something else')
})
