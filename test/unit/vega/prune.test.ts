// Pruning from the deployment's side: when docker cannot say which builds containers are pinned to,
// nothing is removed, and the reason says why.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { pruneBuilds } from '../../../lib/vega/prune.ts'

test('keeps every build, saying why, when the containers cannot be listed', (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-prune-'))
  t.after(() => fs.rmSync(root, { recursive: true, force: true }))
  const ids = ['20260101T000000Z-a', '20260102T000000Z-b', '20260103T000000Z-c']
  for (const id of ids) fs.mkdirSync(path.join(root, 'dist', 'web', 'builds', id), { recursive: true })
  // No docker on PATH: the listing fails the way a missing or broken engine would.
  return pruneBuilds({ root, env: { PATH: path.join(root, 'no-such-bin') }, sfHome: path.join(root, 'home'), keep: 1 }).then((plan) => {
    assert.deepEqual(plan.remove, [])
    assert.deepEqual(plan.keep.map((k) => k.buildId), ids)
    for (const k of plan.keep) assert.ok(k.why.some((w) => /^containers could not be listed \(.+\), so any may be pinned to it$/.test(w)), k.why.join('; '))
    assert.ok(ids.every((id) => fs.existsSync(path.join(root, 'dist', 'web', 'builds', id))), 'nothing was removed')
  })
})
