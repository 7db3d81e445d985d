// Container tier: the publish half of the build authority against a real registry this test starts
// (Debian's docker-registry on 127.0.0.1). Builds the image with npm run docker:build, publishes it
// with npm run publish-image, then checks the manifest's digest against the registry, pulls by
// digest, and proves promote refuses a digest without the tested evidence. Needs build:core,
// build:web-host and write-manifest first. Removes its images, the registry and its dirs afterwards,
// and puts dist/'s manifests back as they were.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { testedEvidence, recordTested } from '../../../lib/authority/evidence.ts'
import { RegistryClient } from '../../../lib/authority/registry-api.ts'
import { imageInspectArgs, runArgs } from '../../../lib/docker/args.ts'
import { docker } from '../../../lib/docker/engine.ts'
import { distPaths, repoRoot } from '../../../lib/paths.ts'
import { fetchAnswer } from '../../../lib/probe.ts'
import { readManifest } from '../../../lib/release/manifest.ts'
import { localBase, removeImages, removeRunArtifacts, requireEngine, runId, runLabels } from '../../support/docker.ts'
import { npmRun } from '../../support/npm.ts'
import { startRegistry, type TestRegistry } from '../../support/registry.ts'
import { tempDir } from '../../support/server.ts'

const env = process.env
const localTag = `sf-server-registry-test:${runId}`
const source = 'https://forgejo.example/sf/sf-self-deploy'
const engine = await requireEngine('the registry tests of publish-image and promote')

async function npm(script: string, args: string[], extraEnv: Record<string, string>) {
  const call = npmRun(repoRoot, script, args, extraEnv)
  const code = await call.exited
  return { code, stdout: call.stdout(), stderr: call.stderr() }
}

if (engine) {
  describe('publish-image to a real registry, and the promotion rule', () => {
    const dist = distPaths()
    const saved = new Map<string, string>()
    let registry: TestRegistry | undefined
    let scratch = ''
    let sfRegistry = ''
    let repository = ''
    let builtId = ''
    let published: { tag: string; digest: string; ref: string; imageId: string } | undefined

    before(
      async () => {
        const manifest = readManifest(dist.manifest)
        assert.ok(manifest, 'run npm run build:core, build:web-host and write-manifest first')
        for (const file of [dist.manifest, path.join(dist.releases, `${manifest.webHost.buildId}.json`)]) saved.set(file, fs.readFileSync(file, 'utf8'))
        scratch = tempDir('authority')
        registry = await startRegistry()
        sfRegistry = `${registry.address}/sf-${runId}`
        repository = `${sfRegistry}/sf-server`

        const built = await npm('docker:build', ['--tag', localTag], { SF_BASE_IMAGE: await localBase(), SF_IMAGE_SOURCE: source })
        assert.equal(built.code, 0, built.stderr)
        builtId = (JSON.parse(built.stdout) as { imageId: string }).imageId

        const pushed = await npm('publish-image', ['--tag', localTag], { SF_REGISTRY: sfRegistry })
        assert.equal(pushed.code, 0, `${pushed.stderr}\nregistry log:\n${registry.output()}`)
        published = JSON.parse(pushed.stdout) as typeof published
      },
      { timeout: 600_000 },
    )

    after(
      async () => {
        for (const [file, text] of saved) fs.writeFileSync(file, text)
        if (builtId) await removeImages([builtId])
        await removeRunArtifacts([localTag])
        await registry?.stop()
        if (scratch) fs.rmSync(scratch, { recursive: true, force: true })
      },
      { timeout: 120_000 },
    )

    test('the manifest names the pushed tag and the digest the registry holds under it', async () => {
      assert.ok(published)
      assert.equal(published.tag, `${repository}:${localTag.split(':')[1]}`)
      assert.equal(published.ref, `${repository}@${published.digest}`)
      assert.deepEqual(readManifest(dist.manifest)?.image, { tag: published.tag, digest: published.digest })
      const answer = await fetch(`${registry!.url}/v2/sf-${runId}/sf-server/manifests/${localTag.split(':')[1]}`, {
        method: 'HEAD',
        headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' },
      })
      assert.equal(answer.status, 200)
      assert.equal(answer.headers.get('docker-content-digest'), published.digest)
    })

    test('pulling by digest gives the image that was built, with its OCI labels, running as uid 1000', async () => {
      assert.ok(published)
      await docker(['image', 'rm', published.tag], { env })
      await docker(['pull', published.ref], { env })
      const [id, labels, user] = (await docker(imageInspectArgs(published.ref, '{{.Id}}\t{{json .Config.Labels}}\t{{.Config.User}}'), { env })).stdout.trim().split('\t')
      assert.equal(id, builtId)
      const manifest = readManifest(dist.manifest)!
      const parsed = JSON.parse(labels!) as Record<string, string>
      assert.deepEqual(
        [parsed['org.opencontainers.image.revision'], parsed['org.opencontainers.image.version'], parsed['org.opencontainers.image.created'], parsed['org.opencontainers.image.source']],
        [manifest.git.commit, manifest.version, manifest.builtAt, source],
      )
      assert.equal(user, '1000:1000')
      const uid = await docker(runArgs({ image: published.ref, command: ['node', '-e', 'console.log(process.getuid(), process.env.HOME)'], remove: true, network: 'none', labels: runLabels }), { env })
      assert.equal(uid.stdout.trim(), '1000 /home/node')
    })

    test('promote refuses a digest that has not passed test, says why, and exits 2', async () => {
      assert.ok(published)
      const targets = path.join(scratch, 'targets.yaml')
      fs.copyFileSync(path.join(repoRoot, 'deploy', 'targets.yaml'), targets)
      const refused = await npm('promote', ['--digest', published.digest], { SF_REGISTRY: sfRegistry, SF_TARGETS: targets })
      assert.equal(refused.code, 2, refused.stderr)
      assert.match(refused.stderr, new RegExp(`error: promote refused: ${published.digest} has not passed test's probes: the registry has no ${repository.replace(/\./g, '\\.')}:tested-[0-9a-f]{64}`))
      assert.match(refused.stderr, /npm run deploy-test -- --digest sha256:/)
      assert.doesNotMatch(refused.stderr, /kubectl|set the image/)
    })

    test('the evidence deploy-test records is what promote reads, for that digest only', async () => {
      assert.ok(published)
      const client = new RegistryClient(repository, { registry: sfRegistry })
      const tag = await recordTested(client, published.digest)
      assert.equal(tag, `${repository}:tested-${published.digest.slice('sha256:'.length)}`)
      assert.deepEqual(await testedEvidence(client, published.digest), { ok: true, tag })
      const other = `sha256:${'e'.repeat(64)}`
      const missing = await testedEvidence(client, other)
      assert.equal(missing.ok, false)
      const listed = await fetchAnswer(`${registry!.url}/v2/sf-${runId}/sf-server/tags/list`)
      assert.deepEqual((listed.json as { tags: string[] }).tags.sort(), [localTag.split(':')[1], `tested-${published.digest.slice(7)}`].sort())
    })

    test('promote with the registry stopped fails (exit 1), naming the registry and its error, and does not blame the digest', async () => {
      assert.ok(published)
      const targets = path.join(scratch, 'targets.yaml')
      fs.copyFileSync(path.join(repoRoot, 'deploy', 'targets.yaml'), targets)
      await registry!.stop()
      const failed = await npm('promote', ['--digest', published.digest], { SF_REGISTRY: sfRegistry, SF_TARGETS: targets })
      assert.equal(failed.code, 1, failed.stderr)
      assert.match(failed.stderr, new RegExp(`error: .*the registry ${registry!.address.replace(/\./g, '\\.')} .*connection refused`))
      assert.doesNotMatch(failed.stderr, /has not passed test's probes|roll it to test first/)
    })
  })
}
