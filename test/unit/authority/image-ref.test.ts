import assert from 'node:assert/strict'
import { test } from 'node:test'
import { digestIn, digestRef, imageRepository, isDigest, registryHost, testedTag } from '../../../lib/authority/image-ref.ts'

const digest = `sha256:${'0123456789abcdef'.repeat(4)}`

test('the image lives at <SF_REGISTRY>/sf-server and deployments name it by digest', () => {
  assert.equal(imageRepository('127.0.0.1:5000/sf'), '127.0.0.1:5000/sf/sf-server')
  assert.equal(registryHost('127.0.0.1:5000/sf'), '127.0.0.1:5000')
  assert.equal(digestRef('127.0.0.1:5000/sf/sf-server', digest), `127.0.0.1:5000/sf/sf-server@${digest}`)
})

test('a digest is sha256: and 64 lower-case hex digits, and its tested tag carries all of them', () => {
  assert.equal(isDigest(digest), true)
  assert.equal(isDigest(digest.toUpperCase()), false)
  assert.equal(isDigest(digest.slice(0, -1)), false)
  assert.equal(testedTag(digest), `tested-${'0123456789abcdef'.repeat(4)}`)
})

test("picks the repository's own digest out of an image's RepoDigests", () => {
  const other = `sha256:${'f'.repeat(64)}`
  const repoDigests = [`docker.example/sf-server@${other}`, `reg.example/sf/sf-server@${digest}`]
  assert.equal(digestIn(repoDigests, 'reg.example/sf/sf-server'), digest)
  assert.equal(digestIn(repoDigests, 'reg.example/sf'), null)
})
