import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { BuildError } from '../../../lib/errors.ts'
import { manifestMismatch, parseManifest, readManifest, type ReleaseManifest } from '../../../lib/release/manifest.ts'

const valid: ReleaseManifest = {
  schemaVersion: 1,
  name: 'sf',
  version: '0.1.0',
  git: { commit: 'a'.repeat(40), dirty: false },
  builtAt: '2025-01-02T03:04:05.000Z',
  node: 'v20.19.0',
  loader: 'loader-0123456789ab.js',
  webHost: { buildId: '20250102T030405Z-aaaaaaaaaaaa-1f2e', digest: `sha256:${'b'.repeat(64)}` },
  image: { tag: null, digest: null },
}

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-manifest-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

function buildError(run: () => unknown): BuildError {
  try {
    run()
  } catch (error) {
    assert.ok(error instanceof BuildError, `expected a BuildError, got ${String(error)}`)
    return error
  }
  assert.fail('expected a BuildError, but nothing was thrown')
}

describe('parseManifest', () => {
  test('accepts a valid manifest and returns its fields', () => {
    assert.deepEqual(parseManifest(JSON.stringify(valid), 'm.json'), valid)
  })

  test('accepts an image tag and digest once the image exists', () => {
    const withImage = { ...valid, image: { tag: 'registry/sf:0.1.0', digest: `sha256:${'c'.repeat(64)}` } }
    assert.deepEqual(parseManifest(JSON.stringify(withImage), 'm.json'), withImage)
  })

  test('rejects text that is not JSON, naming the file and the fix', () => {
    const error = buildError(() => parseManifest('{ not json', '/dist/m.json'))
    assert.match(error.message, /^\/dist\/m\.json is not JSON \(/)
    assert.match(error.message, /run npm run write-manifest$/)
  })

  test('lists the path of every bad field at once', () => {
    const bad = {
      ...valid,
      schemaVersion: 2,
      git: { commit: 'abc', dirty: 'no' },
      webHost: { buildId: '', digest: 'md5:1234' },
      image: { tag: null },
    }
    const error = buildError(() => parseManifest(JSON.stringify(bad), '/dist/m.json'))
    assert.match(error.message, /^\/dist\/m\.json is not a valid release manifest:\n/)
    const fieldPaths = error.message
      .split('\n')
      .filter((line) => line.startsWith('  '))
      .map((line) => line.trim().split(':')[0])
    assert.deepEqual(fieldPaths.sort(), ['git.commit', 'git.dirty', 'image.digest', 'schemaVersion', 'webHost.buildId', 'webHost.digest'])
    assert.match(error.message, /git\.commit: must be a full 40-digit commit id/)
    assert.match(error.message, /webHost\.digest: must be sha256: followed by 64 hex digits/)
  })

  test('reports a document that is not an object at the root', () => {
    const error = buildError(() => parseManifest('[]', 'm.json'))
    assert.match(error.message, /\n {2}\(root\): /)
  })
})

describe('readManifest', () => {
  test('returns null when the file does not exist', (t) => {
    assert.equal(readManifest(path.join(tempDir(t), 'sf-release-manifest.json')), null)
  })

  test('reads and validates the manifest in a file', (t) => {
    const file = path.join(tempDir(t), 'sf-release-manifest.json')
    fs.writeFileSync(file, JSON.stringify(valid, null, 2))
    assert.deepEqual(readManifest(file), valid)
  })

  test('names the file when its contents are invalid', (t) => {
    const file = path.join(tempDir(t), 'sf-release-manifest.json')
    fs.writeFileSync(file, JSON.stringify({ ...valid, node: '20' }))
    const error = buildError(() => readManifest(file))
    assert.ok(error.message.startsWith(`${file} is not a valid release manifest:`))
    assert.match(error.message, /\n {2}node: /)
  })
})

describe('manifestMismatch', () => {
  test('accepts the manifest of the build served, by id and content digest', () => {
    assert.equal(manifestMismatch(valid, { buildId: valid.webHost.buildId, digest: valid.webHost.digest }, 'm.json'), null)
    assert.equal(manifestMismatch(valid, { buildId: valid.webHost.buildId }, 'm.json'), null)
  })

  test('names both builds when the manifest describes another one', () => {
    assert.equal(manifestMismatch(valid, { buildId: 'other-build' }, 'm.json'), `m.json describes web host build ${valid.webHost.buildId}, but the build served is other-build`)
  })

  test('names both digests when the id matches but the content does not', () => {
    const digest = `sha256:${'c'.repeat(64)}`
    assert.match(manifestMismatch(valid, { buildId: valid.webHost.buildId, digest }, 'm.json') ?? '', new RegExp(`content digest ${valid.webHost.digest}, but the staged build records ${digest}`))
  })
})

describe('readManifest, hardened', () => {
  test('refuses a manifest path that is a directory with a BuildError saying so and the fix', (t) => {
    const dir = path.join(tempDir(t), 'sf-release-manifest.json')
    fs.mkdirSync(dir)
    const error = buildError(() => readManifest(dir))
    assert.equal(error.message, `${dir} is a directory, not a release manifest: move it away, then run npm run write-manifest`)
  })

  test('holds image.tag to the image reference rule', () => {
    const error = buildError(() => parseManifest(JSON.stringify({ ...valid, image: { tag: 'a b;$(id)', digest: null } }), 'm.json'))
    assert.match(error.message, /image\.tag: must be an image reference/)
  })
})
