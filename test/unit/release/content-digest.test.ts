import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { digestTree } from '../../../lib/release/content-digest.ts'

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-digest-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A small staged-server-like tree: files, a subfolder and a symlink. */
function writeTree(root: string): string {
  fs.mkdirSync(path.join(root, 'server', 'chunks'), { recursive: true })
  fs.writeFileSync(path.join(root, 'server.js'), 'console.log("server")\n')
  fs.writeFileSync(path.join(root, 'server', 'chunks', 'a.js'), 'export const a = 1\n')
  fs.writeFileSync(path.join(root, 'server', 'chunks', 'b.js'), 'export const b = 2\n')
  fs.symlinkSync('server/chunks/a.js', path.join(root, 'entry.js'))
  return root
}

describe('digestTree', () => {
  test('gives the same digest for the same tree, wherever it is', async (t) => {
    const first = writeTree(tempDir(t))
    const second = writeTree(tempDir(t))
    const digest = await digestTree(first)
    assert.match(digest, /^sha256:[0-9a-f]{64}$/)
    assert.equal(await digestTree(first), digest)
    assert.equal(await digestTree(second), digest)
  })

  test('changes when one byte of a file changes', async (t) => {
    const root = writeTree(tempDir(t))
    const before = await digestTree(root)
    fs.writeFileSync(path.join(root, 'server', 'chunks', 'b.js'), 'export const b = 3\n')
    assert.notEqual(await digestTree(root), before)
  })

  test('changes when a file is renamed', async (t) => {
    const root = writeTree(tempDir(t))
    const before = await digestTree(root)
    fs.renameSync(path.join(root, 'server', 'chunks', 'b.js'), path.join(root, 'server', 'chunks', 'c.js'))
    assert.notEqual(await digestTree(root), before)
  })

  test('changes when a symlink points somewhere else', async (t) => {
    const root = writeTree(tempDir(t))
    const before = await digestTree(root)
    fs.unlinkSync(path.join(root, 'entry.js'))
    fs.symlinkSync('server/chunks/b.js', path.join(root, 'entry.js'))
    assert.notEqual(await digestTree(root), before)
  })

  test('changes when an empty folder is added', async (t) => {
    const root = writeTree(tempDir(t))
    const before = await digestTree(root)
    fs.mkdirSync(path.join(root, 'server', 'empty'))
    assert.notEqual(await digestTree(root), before)
  })

  test('leaves out what the exclude function names', async (t) => {
    const root = writeTree(tempDir(t))
    const seen: string[] = []
    const exclude = (relative: string) => {
      seen.push(relative)
      return relative === 'sf-web-host.json' || relative === 'server/chunks/b.js'
    }
    const before = await digestTree(root, exclude)
    fs.writeFileSync(path.join(root, 'sf-web-host.json'), '{"written":"after the digest"}')
    fs.writeFileSync(path.join(root, 'server', 'chunks', 'b.js'), 'changed\n')
    assert.equal(await digestTree(root, exclude), before)
    assert.ok(seen.includes('server/chunks/a.js'), `exclude saw ${seen.join(', ')}`)
    assert.notEqual(await digestTree(root), before, 'without the exclude the change shows')
  })
})
