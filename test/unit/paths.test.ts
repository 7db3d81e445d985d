import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isInside } from '../../lib/paths.ts'

test('isInside: the root and folders below it are inside, whatever their names start with', () => {
  for (const child of ['/w', '/w/a', '/w/..foo', '/w/...', '/w/a/..b/c']) assert.equal(isInside('/w', child), true, child)
})

test('isInside: the parent, a sibling and anything reached through .. are outside', () => {
  for (const child of ['/', '/other', '/w-sibling', '/w/../x']) assert.equal(isInside('/w', child), false, child)
})
