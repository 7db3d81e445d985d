import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ConfigError } from '../../../lib/errors.ts'
import { writeReleaseManifest } from '../../../lib/release/write-manifest.ts'

/** A checkout with nothing built: any write that got past validation would fail on the missing build. */
function emptyCheckout(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-release-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

describe('writeReleaseManifest', () => {
  for (const tag of ['a b;$(id)', '']) {
    test(`refuses --image-tag ${JSON.stringify(tag)} by the same rule as SF_IMAGE_TAG, before anything else`, async (t) => {
      const root = emptyCheckout(t)
      await assert.rejects(writeReleaseManifest({ root, image: { tag, digest: null } }), (error: unknown) => {
        assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`)
        assert.equal(error.message, `--image-tag ${JSON.stringify(tag)}: must be an image reference such as registry/sf:1.2.3 (the rule SF_IMAGE_TAG follows too)`)
        return true
      })
      assert.deepEqual(fs.readdirSync(root), [], 'nothing was written')
    })
  }

  test('refuses an image digest that is not sha256:<64 hex>', async (t) => {
    const root = emptyCheckout(t)
    await assert.rejects(writeReleaseManifest({ root, image: { tag: null, digest: 'sha256:xyz' } }), ConfigError)
  })
})
