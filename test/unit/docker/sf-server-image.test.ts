import { describe, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { officialBaseImage } from '../../../lib/docker/base-choice.ts'
import { digestTree } from '../../../lib/release/content-digest.ts'
import { BuildError } from '../../../lib/errors.ts'
import type { ReleaseManifest } from '../../../lib/release/manifest.ts'
import { repoRoot } from '../../../lib/paths.ts'
import { createProgress } from '../../../lib/progress.ts'
import { buildSfServerImage, defaultSfServerTag, sfServerBuildSpec, sfServerDockerfile } from '../../../lib/docker/sf-server-image.ts'

const manifest: ReleaseManifest = {
  schemaVersion: 1,
  name: 'sf',
  version: '0.1.0',
  git: { commit: '0123456789abcdef0123456789abcdef01234567', dirty: false },
  builtAt: '2025-01-02T03:04:05.000Z',
  node: 'v20.19.0',
  loader: 'loader-0123456789ab.js',
  webHost: { buildId: '20250102T030405Z-0123456789ab-1f2e', digest: `sha256:${'b'.repeat(64)}` },
  image: { tag: null, digest: null },
}

describe('the Dockerfiles', () => {
  for (const file of ['Dockerfile.sf-server', 'Dockerfile.source-server']) {
    test(`${file} defaults BASE_IMAGE to the official base lib/docker/base-choice.ts names`, () => {
      const text = fs.readFileSync(path.join(repoRoot, 'docker', file), 'utf8')
      const defaults = [...text.matchAll(/^ARG BASE_IMAGE=(\S+)\s*$/gm)].map((m) => m[1])
      assert.deepEqual(defaults, [officialBaseImage])
    })
  }
})

describe('defaultSfServerTag', () => {
  test('is sf-server:<version>-<commit 12> for a clean tree', () => {
    assert.equal(defaultSfServerTag(manifest), 'sf-server:0.1.0-0123456789ab')
  })

  test('ends in -dirty when the tree had changes', () => {
    assert.equal(defaultSfServerTag({ ...manifest, git: { ...manifest.git, dirty: true } }), 'sf-server:0.1.0-0123456789ab-dirty')
  })

  test('turns what a docker tag may not hold (semver build metadata) into -', () => {
    assert.equal(defaultSfServerTag({ ...manifest, version: '1.2.3-rc.1+build.7' }), 'sf-server:1.2.3-rc.1-build.7-0123456789ab')
  })
})

describe('sfServerBuildSpec', () => {
  test('passes the base, revision, version, build time and tag as build args and labels the build id', () => {
    const spec = sfServerBuildSpec({
      context: '/tmp/ctx',
      tag: 'sf-server:0.1.0-0123456789ab',
      base: 'sf-node-base:20.19.0-local',
      manifest,
      labels: { 'sf.test-run': 'abcd' },
    })
    assert.deepEqual(spec, {
      dockerfile: path.join(repoRoot, 'docker', 'Dockerfile.sf-server'),
      context: '/tmp/ctx',
      tag: 'sf-server:0.1.0-0123456789ab',
      buildArgs: {
        BASE_IMAGE: 'sf-node-base:20.19.0-local',
        SF_REVISION: '0123456789abcdef0123456789abcdef01234567',
        SF_VERSION: '0.1.0',
        SF_CREATED: '2025-01-02T03:04:05.000Z',
        SF_IMAGE_TAG: 'sf-server:0.1.0-0123456789ab',
      },
      labels: { 'sf.build-id': '20250102T030405Z-0123456789ab-1f2e', 'sf.test-run': 'abcd' },
    })
    assert.equal(spec.dockerfile, sfServerDockerfile)
  })

  test('labels the source repository when SF_IMAGE_SOURCE names it', () => {
    const spec = sfServerBuildSpec({ context: '/tmp/ctx', tag: 't:1', base: 'b', manifest, source: 'https://forgejo.example/sf/sf' })
    assert.deepEqual(spec.labels, { 'sf.build-id': manifest.webHost.buildId, 'org.opencontainers.image.source': 'https://forgejo.example/sf/sf' })
  })
})

describe('docker/Dockerfile.sf-server', () => {
  test('runs as uid 1000, not root, with its home (and so SF_HOME) under /home/node', () => {
    const text = fs.readFileSync(sfServerDockerfile, 'utf8')
    assert.deepEqual([...text.matchAll(/^USER (\S+)\s*$/gm)].map((m) => m[1]), ['1000:1000'])
    assert.match(text, /^\s*HOME=\/home\/node \\$/m)
  })
})

describe('buildSfServerImage refuses an incomplete dist/ before it asks docker for anything', () => {
  test('without dist/loader.js: run npm run build:core', async (t) => {
    const root = await distFixture(t, { loader: false })
    await assert.rejects(build(root), (e: Error) => e instanceof BuildError && /dist\/loader\.js is missing: run npm run build:core/.test(e.message))
  })

  test('without a release manifest: run npm run write-manifest', async (t) => {
    const root = await distFixture(t, { manifest: null })
    await assert.rejects(build(root), (e: Error) => e instanceof BuildError && /sf-release-manifest\.json is missing: run npm run write-manifest/.test(e.message))
  })

  test('with a manifest of another build: names both and says run npm run write-manifest', async (t) => {
    const other = '20250101T000000Z-0123456789ab-0000'
    const root = await distFixture(t, { manifest: { ...manifest, webHost: { ...manifest.webHost, buildId: other } } })
    await assert.rejects(build(root), (e: Error) => {
      assert.ok(e instanceof BuildError, String(e))
      assert.match(e.message, new RegExp(`describes web host build ${other} .* but dist/web/standalone is build ${manifest.webHost.buildId} .*: run npm run write-manifest`))
      return true
    })
  })
})

function build(root: string) {
  return buildSfServerImage({ root, env: {}, config: { SF_BASE_IMAGE: 'never-used:1' }, progress: createProgress(() => {}) })
}

/** A dist/ with one staged build (its record true to its files), and the parts asked for. */
async function distFixture(t: TestContext, parts: { loader?: boolean; manifest?: ReleaseManifest | null }): Promise<string> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-image-dist-'))
  t.after(() => fs.rmSync(root, { recursive: true, force: true }))
  const dist = path.join(root, 'dist')
  const buildDir = path.join(dist, 'web', 'builds', manifest.webHost.buildId)
  fs.mkdirSync(path.join(buildDir, 'web'), { recursive: true })
  fs.writeFileSync(path.join(buildDir, 'web', 'server.js'), '// the web host\n')
  fs.symlinkSync(path.join('builds', manifest.webHost.buildId, 'web'), path.join(dist, 'web', 'standalone'))
  fs.writeFileSync(path.join(dist, 'package.json'), '{ "type": "module" }\n')
  if (parts.loader ?? true) fs.writeFileSync(path.join(dist, 'loader.js'), '// the loader\n')

  const digest = await digestTree(buildDir)
  const record = { buildId: manifest.webHost.buildId, builtAt: manifest.builtAt, git: manifest.git, digest }
  fs.writeFileSync(path.join(buildDir, 'sf-web-host.json'), JSON.stringify(record))
  const written = parts.manifest === undefined ? manifest : parts.manifest
  if (written) {
    fs.writeFileSync(path.join(dist, 'sf-release-manifest.json'), JSON.stringify({ ...written, webHost: { ...written.webHost, digest } }))
  }
  return root
}
