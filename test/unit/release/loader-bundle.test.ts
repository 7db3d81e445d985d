// The pinned loader: a copy of dist/loader.js named for its content, never rewritten.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { pinnedLoader } from '../../../lib/release/loader-bundle.ts'

test('copies dist/loader.js to loader-<hash>.js once, and a changed loader gets a new name', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-core-'))
  t.after(() => fs.rmSync(root, { recursive: true, force: true }))
  fs.mkdirSync(path.join(root, 'dist'))
  fs.writeFileSync(path.join(root, 'dist', 'loader.js'), 'console.log(1)\n')
  const first = await pinnedLoader(root)
  assert.match(first, /^loader-[0-9a-f]{12}\.js$/)
  assert.equal(fs.readFileSync(path.join(root, 'dist', first), 'utf8'), 'console.log(1)\n')
  const written = fs.statSync(path.join(root, 'dist', first)).mtimeMs
  assert.equal(await pinnedLoader(root), first, 'the same loader keeps its name')
  assert.equal(fs.statSync(path.join(root, 'dist', first)).mtimeMs, written, 'and its file is not written again')
  fs.writeFileSync(path.join(root, 'dist', 'loader.js'), 'console.log(2)\n')
  const second = await pinnedLoader(root)
  assert.notEqual(second, first)
  assert.equal(fs.readFileSync(path.join(root, 'dist', first), 'utf8'), 'console.log(1)\n', 'the old pinned loader is untouched')
})
