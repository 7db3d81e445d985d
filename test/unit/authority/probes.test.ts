import assert from 'node:assert/strict'
import { test } from 'node:test'
import { versionMismatch } from '../../../lib/authority/probes.ts'

const expected = { commit: 'c'.repeat(40), buildId: 'build-1', digest: `sha256:${'d'.repeat(64)}` }
const answer = (commit: string, buildId: string, digest: string | null) => ({
  manifest: { git: { commit }, webHost: { buildId } },
  runningImage: { tag: 'reg/sf-server:0.1.0', digest },
})

test('/api/version agrees when it names the rolled commit, build and digest', () => {
  assert.equal(versionMismatch(answer(expected.commit, 'build-1', expected.digest), expected), null)
})

test('names each of commit, build and digest that differs from what was rolled', () => {
  assert.equal(
    versionMismatch(answer('a'.repeat(40), 'build-1', null), expected),
    `commit ${'a'.repeat(40)} instead of ${expected.commit}, digest (none) instead of ${expected.digest}`,
  )
  assert.equal(versionMismatch(answer(expected.commit, 'build-0', expected.digest), expected), 'buildId build-0 instead of build-1')
  assert.equal(versionMismatch({ error: 'no manifest' }, expected), `commit (none) instead of ${expected.commit}, buildId (none) instead of build-1, digest (none) instead of ${expected.digest}`)
})
