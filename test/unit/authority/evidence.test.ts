import assert from 'node:assert/strict'
import { test } from 'node:test'
import { pullFailure } from '../../../lib/authority/evidence.ts'

// What docker pull (CLI 28, engine 20.10) printed, captured against Debian's docker-registry.
const missingTag = 'Error response from daemon: manifest for 127.0.0.1:45871/sf-x/sf-server:tested-abc not found: manifest unknown: manifest unknown\n'
const stoppedRegistry = 'Error response from daemon: Get "http://127.0.0.1:45871/v2/": dial tcp 127.0.0.1:45871: connect: connection refused\n'

test('a registry that answers "no such tag" means the digest was not tested', () => {
  assert.equal(pullFailure(missingTag), 'missing')
})

test('a registry that does not answer, or refuses, is a failure of the registry, not of the digest', () => {
  assert.equal(pullFailure(stoppedRegistry), 'registry')
  assert.equal(pullFailure('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n'), 'registry')
  assert.equal(pullFailure(''), 'registry')
})
