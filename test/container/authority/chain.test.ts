// Container tier: the build authority's chain end to end, on this engine. A real registry started here
// (Debian's docker-registry on 127.0.0.1), two docker targets (test and prod) with per-run names and
// free loopback ports in a targets file written here, and the workflow's steps run in its order through
// the same npm scripts. Then what must not pass: a digest that fails its probes on test, a promote of
// an untested digest, a broken build. The front's image is built here from this host's haproxy and the
// production image on the local base, so nothing is pulled. Needs build:core, build:web-host and
// write-manifest first. Removes every container, network, volume, image, the registry and its dirs
// afterwards, and puts dist/'s manifests back as they were.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { digestIn, testedTag } from '../../../lib/authority/image-ref.ts'
import { homeVolume } from '../../../lib/authority/docker-server.ts'
import { imageInspectArgs, networkRemoveArgs, volumeRemoveArgs } from '../../../lib/docker/args.ts'
import { buildImage, docker } from '../../../lib/docker/engine.ts'
import { buildFrontImage } from '../../../lib/docker/front-image.ts'
import { inspectContainer } from '../../../lib/docker/inspect.ts'
import { distPaths, repoRoot } from '../../../lib/paths.ts'
import { freePorts } from '../../../lib/ports.ts'
import { fetchAnswer } from '../../../lib/probe.ts'
import { createProgress } from '../../../lib/progress.ts'
import { readManifest, type ReleaseManifest } from '../../../lib/release/manifest.ts'
import { containerNames, localBase, removeContainers, removeImages, requireEngine, runId, withLogs } from '../../support/docker.ts'
import { npmRun } from '../../support/npm.ts'
import { startRegistry, type TestRegistry } from '../../support/registry.ts'
import { scratchCheckout } from '../../support/scratch.ts'
import { tempDir } from '../../support/server.ts'
import { workflowScripts } from '../../support/workflow.ts'

const localTag = `sf-server-chain-test:${runId}`
const frontImage = `sf-haproxy-chain-test:${runId}`
const engine = await requireEngine('the build authority chain on two docker targets')

/** The steps of the workflow that this test runs; the gates before them ran before the test. */
const chain = ['write-manifest', 'docker:build', 'publish-image', 'deploy-test', 'promote']

interface Version {
  manifest: ReleaseManifest
  runningImage: { tag: string | null; digest: string | null }
}

async function npm(cwd: string, script: string, args: string[], env: Record<string, string>) {
  const call = npmRun(cwd, script, args, env)
  const code = await call.exited
  return { code, stdout: call.stdout(), stderr: call.stderr() }
}

/** Two runs of three neighbouring free ports, at least 3 apart: each target's front and its two slots. */
async function targetPorts(): Promise<[number, number]> {
  const test = await freePorts('127.0.0.1', 3)
  for (;;) {
    const prod = await freePorts('127.0.0.1', 3)
    if (Math.abs(prod - test) > 2) return [test, prod]
  }
}

if (engine) {
  describe('from a commit to a promoted digest, on two docker targets', { timeout: 1_500_000 }, () => {
    const dist = distPaths()
    const saved = new Map<string, string>()
    const names = { test: `sf-ct-${runId}`, prod: `sf-cp-${runId}` }
    const containers = Object.values(names).flatMap((n) => [n, `${n}-candidate`, `${n}-previous`, `${n}-front`, `${n}-front-next`, `${n}-port`])
    const extraImages: string[] = []
    let registry: TestRegistry | undefined
    let scratch = ''
    let env: Record<string, string> = {}
    let urls = { test: '', prod: '' }
    let repository = ''
    let builtId = ''
    let published: { tag: string; digest: string; ref: string; imageId: string } | undefined

    const version = async (url: string) => (await fetchAnswer(`${url}/api/version`)).json as Version
    const registryTags = async () => ((await fetchAnswer(`${registry!.url}/v2/sf-${runId}/sf-server/tags/list`)).json as { tags: string[] }).tags

    before(
      async () => {
        const manifest = readManifest(dist.manifest)
        assert.ok(manifest, 'run npm run build:core, build:web-host and write-manifest first')
        for (const file of [dist.manifest, path.join(dist.releases, `${manifest.webHost.buildId}.json`)]) saved.set(file, fs.readFileSync(file, 'utf8'))
        // Short: the fronts' admin sockets live under it, and a socket path has room for 107 bytes.
        scratch = tempDir('chain')
        registry = await startRegistry()
        repository = `${registry.address}/sf-${runId}/sf-server`
        await buildFrontImage({ tag: frontImage, env: process.env, progress: createProgress(() => {}) })
        const [testPort, prodPort] = await targetPorts()
        urls = { test: `http://127.0.0.1:${testPort}`, prod: `http://127.0.0.1:${prodPort}` }
        const targets = path.join(scratch, 'targets.yaml')
        fs.writeFileSync(
          targets,
          [
            'targets:',
            // Canary steps on test: its second rollout (below) has an old server to take a share from.
            `  test: {kind: docker, name: ${names.test}, port: ${testPort}, bind: 127.0.0.1, canary: [50], step: 2}`,
            `  prod: {kind: docker, name: ${names.prod}, port: ${prodPort}, bind: 127.0.0.1}`,
            '',
          ].join('\n'),
        )
        env = {
          SF_REGISTRY: `${registry.address}/sf-${runId}`,
          SF_TARGETS: targets,
          SF_HOME: path.join(scratch, 'home'),
          SF_VEGA_FRONT_IMAGE: frontImage,
          SF_BASE_IMAGE: await localBase(),
        }
      },
      { timeout: 600_000 },
    )

    after(
      async () => {
        for (const [file, text] of saved) fs.writeFileSync(file, text)
        await removeContainers(containers)
        for (const name of Object.values(names)) {
          await docker(networkRemoveArgs(`${name}-net`), { env: process.env, allowFailure: true })
          await docker(volumeRemoveArgs(homeVolume(name)), { env: process.env, allowFailure: true })
        }
        // Children first: an image with a child image cannot be removed, even by force.
        await removeImages([...extraImages, ...(builtId ? [builtId] : []), localTag, frontImage])
        await registry?.stop()
        if (scratch) fs.rmSync(scratch, { recursive: true, force: true })
      },
      { timeout: 300_000 },
    )

    test("the workflow's steps, in its order, publish one digest, roll test to it and promote it to prod", async () => {
      const steps = workflowScripts().map(([, script]) => script)
      assert.deepEqual(steps.slice(steps.indexOf(chain[0]!)), chain, 'the workflow ends with the chain this test runs')
      const args: Record<string, string[]> = { 'docker:build': ['--tag', localTag], 'publish-image': ['--tag', localTag] }
      await withLogs(containers, async () => {
        for (const script of chain) {
          const ran = await npm(repoRoot, script, args[script] ?? [], env)
          assert.equal(ran.code, 0, `npm run ${script} exited with ${ran.code}:\n${ran.stderr}${script === 'publish-image' ? `\nregistry log:\n${registry!.output()}` : ''}`)
          if (script === 'docker:build') builtId = (JSON.parse(ran.stdout) as { imageId: string }).imageId
          if (script === 'publish-image') published = JSON.parse(ran.stdout) as typeof published
        }
      })
      assert.ok(published)
      assert.equal(published.ref, `${repository}@${published.digest}`)
      const manifest = readManifest(dist.manifest)!
      assert.deepEqual(manifest.image, { tag: published.tag, digest: published.digest })
      for (const which of ['test', 'prod'] as const) {
        const served = await version(urls[which])
        assert.deepEqual(
          [served.manifest.git.commit, served.manifest.webHost.buildId, served.runningImage.digest, served.runningImage.tag],
          [manifest.git.commit, manifest.webHost.buildId, published.digest, published.ref],
          `${which} serves the promoted commit, build and digest`,
        )
        const server = await inspectContainer(names[which], process.env)
        assert.equal(server?.image, published.ref, `${which} runs the image by digest`)
        assert.equal(server?.imageId, builtId, `${which} runs the image that was built`)
        assert.deepEqual((await containerNames(`name=^${names[which]}`)).sort(), [names[which], `${names[which]}-front`, `${names[which]}-port`])
      }
      assert.ok((await registryTags()).includes(testedTag(published.digest)), 'deploy-test recorded the evidence')
      await docker(['image', 'rm', published.tag], { env: process.env, allowFailure: true })
      await docker(['pull', '--quiet', published.ref], { env: process.env })
      assert.equal((await docker(imageInspectArgs(published.ref, '{{.Id}}'), { env: process.env })).stdout.trim(), builtId)
    })

    test('a run killed while its candidate is probed is put right by the next one, which rolls the same digest', async () => {
      assert.ok(published, 'the chain ran')
      const killed = npmRun(repoRoot, 'deploy-test', [], env)
      const deadline = Date.now() + 120_000
      while (!killed.stderr().includes(`probe ${names.test}-candidate`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
      assert.ok(killed.stderr().includes(`probe ${names.test}-candidate`), killed.stderr())
      killed.killAll()
      await killed.exited
      assert.ok((await containerNames(`name=^${names.test}`)).includes(`${names.test}-candidate`), 'the killed run left its candidate')
      const again = await npm(repoRoot, 'deploy-test', [], env)
      assert.equal(again.code, 0, again.stderr)
      assert.match(again.stderr, new RegExp(`removed the leftover ${names.test}-candidate`))
      // Judged in its canary step and settle window, with nobody but the probes asking: the probes decide
      // (the window counts the probes' own /api/projects through the front, a route users ask for too).
      assert.match(again.stderr, /canary 50%: judge \S+ beside the old server for 2s/)
      assert.match(again.stderr, /canary 50%: inconclusive, inconclusive: 0 requests \(fewer than 20\); the probes decided/)
      assert.match(again.stderr, /settle: inconclusive, inconclusive: [01] requests? \(fewer than 20\)/)
      assert.deepEqual((await containerNames(`name=^${names.test}`)).sort(), [names.test, `${names.test}-front`, `${names.test}-port`])
      assert.equal((await version(urls.test)).runningImage.digest, published.digest)
    })

    test('a digest that fails its probes on test is refused by promote, rolled back on test, and never reaches prod', async () => {
      assert.ok(published, 'the chain ran')
      // The same server under another build id label: it starts and answers, but /api/version names
      // the build it really is, so the probes refuse it as not the release that was rolled.
      const dir = path.join(scratch, 'tampered')
      fs.mkdirSync(dir)
      fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${localTag}\n`)
      const tampered = `${repository}:tampered`
      const buildId = readManifest(dist.manifest)!.webHost.buildId
      await buildImage({ dockerfile: path.join(dir, 'Dockerfile'), context: dir, tag: tampered, buildArgs: {}, labels: { 'sf.build-id': `${buildId}-tampered` } }, process.env, createProgress(() => {}))
      extraImages.push(tampered)
      await docker(['push', '--quiet', tampered], { env: process.env })
      const repoDigests = JSON.parse((await docker(imageInspectArgs(tampered, '{{json .RepoDigests}}'), { env: process.env })).stdout) as string[]
      const bad = digestIn(repoDigests, repository)
      assert.ok(bad && bad !== published.digest, `a digest of its own: ${repoDigests.join(', ')}`)

      const untested = await npm(repoRoot, 'promote', ['--digest', bad], env)
      assert.equal(untested.code, 2, untested.stderr)
      assert.match(untested.stderr, new RegExp(`error: promote refused: ${bad} has not passed test's probes: the registry has no .*:${testedTag(bad)}`))

      const testBefore = await inspectContainer(names.test, process.env)
      const rolled = await npm(repoRoot, 'deploy-test', ['--digest', bad, '--probe-timeout', '30'], env)
      assert.equal(rolled.code, 1, rolled.stderr)
      assert.match(rolled.stderr, new RegExp(`error: docker target test \\(${names.test} on 127\\.0\\.0\\.1:\\d+\\) did not take ${repository.replace(/\./g, '\\.')}@${bad}: the candidate failed`))
      assert.match(rolled.stderr, new RegExp(`build ${buildId}, expected commit [0-9a-f]{40} build ${buildId}-tampered`))
      assert.match(rolled.stderr, /what .* served before is unchanged/)
      assert.deepEqual((await containerNames(`name=^${names.test}`)).sort(), [names.test, `${names.test}-front`, `${names.test}-port`], 'the candidate is gone')
      assert.equal((await inspectContainer(names.test, process.env))?.id, testBefore?.id, 'the old server was never replaced')
      assert.equal((await version(urls.test)).runningImage.digest, published.digest)
      assert.ok(!(await registryTags()).includes(testedTag(bad)), 'no evidence recorded for the failed digest')

      const refused = await npm(repoRoot, 'promote', ['--digest', bad], env)
      assert.equal(refused.code, 2, refused.stderr)
      assert.match(refused.stderr, /error: promote refused: .* has not passed test's probes/)
      assert.equal((await version(urls.prod)).runningImage.digest, published.digest, 'prod still serves the promoted digest')
    })

    test("a broken build stops the workflow at its gate and publishes nothing", async () => {
      const broken = scratchCheckout()
      try {
        broken.commit('lib/server/loader-main.ts', (t) => `${t}\nexport const broken = (\n`, 'a build that cannot bundle')
        const brokenRegistry = `${registry!.address}/broken-${runId}`
        const ran: string[] = []
        let failed: { script: string; stderr: string } | undefined
        for (const [job, script] of workflowScripts()) {
          if (job !== 'build') continue
          const result = await npm(broken.dir, script, [], { ...env, SF_REGISTRY: brokenRegistry })
          ran.push(script)
          if (result.code !== 0) {
            failed = { script, stderr: result.stderr }
            break // a failed step ends the job, and the jobs that need it never start
          }
        }
        assert.equal(failed?.script, 'build:core', failed?.stderr ?? 'no step failed')
        assert.deepEqual(ran, ['build:core'])
        const catalog = (await fetchAnswer(`${registry!.url}/v2/_catalog`)).json as { repositories: string[] }
        assert.deepEqual(catalog.repositories.filter((r) => r.startsWith(`broken-${runId}`)), [], 'nothing was published')
      } finally {
        broken.remove()
      }
    })
  })
}
