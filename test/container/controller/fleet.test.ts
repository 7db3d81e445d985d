// Container tier: the pull model end to end on this engine. A real registry (Debian's docker-registry on
// 127.0.0.1), two docker hosts of prod (two targets on the local engine, per-run names, free loopback
// ports) each with its own controller container installed by npm run controller:install from an
// image of this checkout, and promote --wait moving the channel `prod`. Then what must not roll: a
// digest that fails its probes on the hosts (refused once, never pulled again), a registry that goes
// away, a controller killed mid-rollout, a controller replaced, and an untested digest moved to prod by
// hand. Clients ask each host's front the whole time, and none of their requests may fail. Needs
// build:core, build:web-host and write-manifest first. Removes every container, network, volume,
// image, the registry and its dirs afterwards, and puts dist/'s manifests back as they were.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { homeVolume } from '../../../lib/authority/docker-server.ts'
import { digestIn, testedTag } from '../../../lib/authority/image-ref.ts'
import { RegistryClient } from '../../../lib/authority/registry-api.ts'
import { startLoad, type Load, type Sample } from '../../../lib/bench/load.ts'
import { controllerStateFile, readControllerState, type ControllerState } from '../../../lib/server/controller-state.ts'
import { buildControllerImage } from '../../../lib/controller/image.ts'
import { imageInspectArgs, networkRemoveArgs, volumeRemoveArgs } from '../../../lib/docker/args.ts'
import { buildImage, docker } from '../../../lib/docker/engine.ts'
import { buildFrontImage } from '../../../lib/docker/front-image.ts'
import { inspectContainer } from '../../../lib/docker/inspect.ts'
import { distPaths, repoRoot } from '../../../lib/paths.ts'
import { freePorts } from '../../../lib/ports.ts'
import { fetchAnswer } from '../../../lib/probe.ts'
import { createProgress } from '../../../lib/progress.ts'
import { readManifest } from '../../../lib/release/manifest.ts'
import { containerNames, localBase, removeContainers, removeImages, requireEngine, runId, withLogs } from '../../support/docker.ts'
import { npmRun } from '../../support/npm.ts'
import { startRegistry, type TestRegistry } from '../../support/registry.ts'
import { tempDir } from '../../support/server.ts'

const localTag = `sf-server-fleet-test:${runId}`
const frontImage = `sf-haproxy-fleet-test:${runId}`
const controllerImage = `sf-controller-fleet-test:${runId}`
const engine = await requireEngine('the deployment controllers of two docker hosts')
/** The controllers check every 2 s here (15 s by default). */
const intervalS = 2

async function npm(script: string, args: string[], env: Record<string, string>) {
  const call = npmRun(repoRoot, script, args, env)
  const code = await call.exited
  return { code, stdout: call.stdout(), stderr: call.stderr() }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, deadlineMs: number): Promise<T> {
  const deadline = Date.now() + deadlineMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${deadlineMs} ms`)
    await sleep(250)
  }
}

if (engine) {
  describe('a promotion rolls every host that follows the channel, each through its own controller', { timeout: 1_800_000 }, () => {
    const dist = distPaths()
    const saved = new Map<string, string>()
    const names = [`sf-h1-${runId}`, `sf-h2-${runId}`]
    /** The one test host; its controller follows the channel test. */
    const testName = `sf-h0-${runId}`
    let testUrl = ''
    const containers = [...names, testName].flatMap((n) => [n, `${n}-candidate`, `${n}-previous`, `${n}-front`, `${n}-front-next`, `${n}-port`, `${n}-controller`])
    const images: string[] = []
    let registry: TestRegistry | undefined
    let client: RegistryClient | undefined
    let scratch = ''
    let env: Record<string, string> = {}
    let urls: string[] = []
    const digests = { v1: '', v2: '', v3: '', v4: '' }
    let loads: Load[] = []

    const version = async (url: string) => ((await fetchAnswer(`${url}/api/version`)).json as { runningImage: { digest: string } }).runningImage.digest
    const state = (name: string) => readControllerState(controllerStateFile(env.SF_HOME!, name))
    const states = () => names.map((n) => state(n)!)
    const users = () => {
      loads = urls.map((url) => startLoad({ url, clients: 2, path: '/api/projects', errorPauseMs: 5, pauseMs: 20, timeoutMs: 30_000, now: () => performance.now() }))
    }
    const failed = (samples: Sample[]) => samples.filter((s) => s.outcome !== 200)
    /** Stop the clients; each host's requests, none of which may have failed. */
    const usersSawNoFailure = async (what: string) => {
      const each = await Promise.all(loads.map((l) => l.stop()))
      loads = []
      each.forEach((samples, i) => {
        assert.ok(samples.length > 20, `${names[i]} was asked ${samples.length} times`)
        assert.deepEqual(failed(samples).slice(0, 5), [], `${what}: ${failed(samples).length} of ${samples.length} requests to ${names[i]} failed`)
      })
      return each.map((s) => s.length)
    }
    /** An image of the published one under another label: a digest of its own, pushed under `tag`. */
    const variant = async (tag: string, labels: Record<string, string>) => {
      const dir = path.join(scratch, tag)
      fs.mkdirSync(dir)
      fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${localTag}\n`)
      const ref = `${client!.repository}:${tag}`
      await buildImage({ dockerfile: path.join(dir, 'Dockerfile'), context: dir, tag: ref, buildArgs: {}, labels }, process.env, createProgress(() => {}))
      images.unshift(ref)
      await docker(['push', '--quiet', ref], { env: process.env })
      const repoDigests = JSON.parse((await docker(imageInspectArgs(ref, '{{json .RepoDigests}}'), { env: process.env })).stdout) as string[]
      return digestIn(repoDigests, client!.repository)!
    }

    before(
      async () => {
        const manifest = readManifest(dist.manifest)
        assert.ok(manifest, 'run npm run build:core, build:web-host and write-manifest first')
        for (const file of [dist.manifest, path.join(dist.releases, `${manifest.webHost.buildId}.json`)]) saved.set(file, fs.readFileSync(file, 'utf8'))
        // Short: the fronts' admin sockets live under it, and a socket path has room for 107 bytes.
        scratch = tempDir('fleet')
        registry = await startRegistry()
        const sfRegistry = `${registry.address}/sf-${runId}`
        client = new RegistryClient(`${sfRegistry}/sf-server`, { registry: sfRegistry })
        await buildFrontImage({ tag: frontImage, env: process.env, progress: createProgress(() => {}) })
        const ports: number[] = []
        while (ports.length < 3) {
          const port = await freePorts('127.0.0.1', 3)
          if (ports.every((p) => Math.abs(p - port) > 2)) ports.push(port)
        }
        const [first, second, third] = ports as [number, number, number]
        urls = [first, second].map((p) => `http://127.0.0.1:${p}`)
        testUrl = `http://127.0.0.1:${third}`
        const targets = path.join(scratch, 'targets.yaml')
        fs.writeFileSync(
          targets,
          [
            'targets:',
            `  test: {kind: docker, name: ${testName}, port: ${third}}`,
            '  prod:',
            `    - {kind: docker, name: ${names[0]}, port: ${first}, url: "${urls[0]}"}`,
            `    - {kind: docker, name: ${names[1]}, port: ${second}}`,
            '',
          ].join('\n'),
        )
        env = {
          SF_REGISTRY: sfRegistry,
          SF_TARGETS: targets,
          SF_HOME: path.join(scratch, 'home'),
          SF_VEGA_FRONT_IMAGE: frontImage,
          SF_BASE_IMAGE: await localBase(),
          SF_CONTROLLER_INTERVAL: String(intervalS),
        }
        const built = await npm('docker:build', ['--tag', localTag], env)
        assert.equal(built.code, 0, built.stderr)
        images.push(localTag, (JSON.parse(built.stdout) as { imageId: string }).imageId)
        const published = await npm('publish-image', ['--tag', localTag], env)
        assert.equal(published.code, 0, published.stderr)
        digests.v1 = (JSON.parse(published.stdout) as { digest: string }).digest
        // v2 starts and answers, but /api/version names the build it really is: its probes refuse it.
        digests.v2 = await variant('v2', { 'sf.build-id': `${manifest.webHost.buildId}-tampered` })
        digests.v3 = await variant('v3', { 'sf.fleet-test': 'v3' })
        digests.v4 = await variant('v4', { 'sf.fleet-test': 'v4' })
        // What deploy-test records once test passed them (v1 goes through test below); v4 never was.
        for (const digest of [digests.v2, digests.v3]) await client.tag(testedTag(digest), digest)
        await buildControllerImage({ root: repoRoot, env: process.env, progress: createProgress(() => {}), baseImage: env.SF_BASE_IMAGE, tag: controllerImage })
        images.unshift(controllerImage)
        for (const at of [testName, 'prod.0', 'prod.1']) {
          const installed = await npm('controller:install', ['--target', at, '--image', controllerImage], env)
          assert.equal(installed.code, 0, installed.stderr)
          assert.match(installed.stdout, /the channel (test|prod) names no digest yet/)
        }
      },
      { timeout: 900_000 },
    )

    after(
      async () => {
        await Promise.all(loads.map((l) => l.stop()))
        for (const [file, text] of saved) fs.writeFileSync(file, text)
        await removeContainers(containers)
        for (const name of [...names, testName]) {
          await docker(networkRemoveArgs(`${name}-net`), { env: process.env, allowFailure: true })
          await docker(volumeRemoveArgs(homeVolume(name)), { env: process.env, allowFailure: true })
        }
        await removeImages([...images, frontImage])
        await registry?.stop()
        if (scratch) fs.rmSync(scratch, { recursive: true, force: true })
      },
      { timeout: 300_000 },
    )

    test('deploy-test --wait moves the channel test, waits for the test host, then records the evidence', async () => {
      await withLogs(containers, async () => {
        assert.equal(await client!.resolve(testedTag(digests.v1)), null)
        const deployed = await npm('deploy-test', ['--digest', digests.v1, '--wait', '--wait-timeout', '300'], env)
        assert.equal(deployed.code, 0, deployed.stderr)
        const out = JSON.parse(deployed.stdout) as { channel: string; evidence: string; hosts: { name: string; status: string }[] }
        assert.deepEqual(out.hosts.map((h) => [h.name, h.status]), [[testName, 'serving']])
        assert.equal(out.evidence, `${client!.repository}:${testedTag(digests.v1)}`)
        assert.ok(deployed.stderr.indexOf('move the channel test') < deployed.stderr.indexOf('record the evidence'), 'the evidence follows the hosts')
        assert.deepEqual([await client!.resolve('test'), await client!.resolve(testedTag(digests.v1)), await client!.resolve('prod')], [digests.v1, digests.v1, null])
        assert.equal(await version(testUrl), digests.v1)
        for (const url of urls) assert.equal(await fetchAnswer(`${url}/api/version`).catch(() => null), null, 'prod has no server yet')
      })
    })

    test('promote --wait moves the channel prod; both hosts pull, roll and serve the digest, and the table says so', async () => {
      await withLogs(containers, async () => {
        const promoted = await npm('promote', ['--digest', digests.v1, '--wait', '--wait-timeout', '300'], env)
        assert.equal(promoted.code, 0, promoted.stderr)
        const out = JSON.parse(promoted.stdout) as { channel: string; hosts: { name: string; status: string; digest: string; seconds: number }[] }
        assert.equal(out.channel, `${client!.repository}:prod`)
        assert.deepEqual(out.hosts.map((h) => [h.name, h.status, h.digest]), names.map((n) => [n, 'serving', digests.v1]))
        assert.match(promoted.stderr, /move the channel prod/)
        assert.match(promoted.stderr, new RegExp(`host +url +status +serves +after\\n${names[0]} +${urls[0]} +serving +${digests.v1.slice(0, 19)}`))
        assert.equal(await client!.resolve('prod'), digests.v1)
        for (const [i, url] of urls.entries()) assert.equal(await version(url), digests.v1, `${names[i]} serves v1`)
        // The hosts serve it from the switch on; each controller records its rollout after the settle window.
        const settled = await until('both controllers to record the rollout', async () => states().every((s) => s.lastRollout) && states(), 60_000)
        for (const s of settled) {
          assert.deepEqual([s.channelDigest, s.serving?.digest, s.lastRollout?.outcome, s.pulls], [digests.v1, digests.v1, 'upgraded', 1])
        }
        process.stderr.write(`# promote → both serving: ${out.hosts.map((h) => `${h.name} ${h.seconds} s`).join(', ')}\n`)
      })
    })

    test('a digest that fails its probes on the hosts is refused by both, pulled once, and v1 serves on with no failed request', async () => {
      users()
      await withLogs(containers, async () => {
        const promoted = await npm('promote', ['--digest', digests.v2, '--wait', '--wait-timeout', '300'], env)
        assert.equal(promoted.code, 1, promoted.stderr)
        assert.match(promoted.stderr, new RegExp(`${names[0]} refused ${digests.v2}: refused at \\S+: .*did not take`))
        await until('both controllers to record the refusal', async () => states().every((s) => s.lastRollout?.digest === digests.v2), 60_000)
        const pulls = states().map((s) => s.pulls)
        // Refused until the channel moves: several more checks, and not one more pull.
        await sleep(intervalS * 4 * 1000)
        for (const s of states()) {
          const refusal = s.refused.find((r) => r.digest === digests.v2)
          assert.ok(refusal?.blocking && refusal.kind === 'rolled-back', JSON.stringify(s.refused))
          assert.match(refusal.reason, /the candidate failed/)
          assert.match(s.lastCheck!.outcome, /was refused here \(rolled-back\); waiting for the channel to move/)
          assert.equal(s.serving?.digest, digests.v1)
        }
        assert.deepEqual(states().map((s) => s.pulls), pulls, 'no pull after the refusal')
        assert.deepEqual(pulls, [2, 2], 'v1 and v2 were each pulled once per host')
        for (const url of urls) assert.equal(await version(url), digests.v1)
        const status = await npm('controller:status', ['--target', 'prod.1'], env)
        assert.equal(status.code, 0, status.stderr)
        assert.match(status.stdout, new RegExp(`refused +${digests.v2.slice(0, 19)} rolled-back \\(until the channel moves\\)`))
      })
      await usersSawNoFailure('the refused v2')
    })

    test('promote v3: both roll, with no failed request', async () => {
      users()
      await withLogs(containers, async () => {
        const promoted = await npm('promote', ['--digest', digests.v3, '--wait', '--wait-timeout', '300'], env)
        assert.equal(promoted.code, 0, promoted.stderr)
        for (const url of urls) assert.equal(await version(url), digests.v3)
        await until('both controllers to record the rollout', async () => states().every((s) => s.lastRollout?.digest === digests.v3), 60_000)
        for (const s of states()) assert.deepEqual([s.lastRollout?.digest, s.lastRollout?.outcome, s.refused.find((r) => r.digest === digests.v2)?.blocking], [digests.v3, 'upgraded', false])
      })
      const asked = await usersSawNoFailure('the roll to v3')
      process.stderr.write(`# v3 rolled with 0 failed of ${asked.join(' and ')} requests\n`)
    })

    test('a registry that goes away: serving goes on, status says it is unreachable, and the controllers recover', async () => {
      users()
      await registry!.pause()
      try {
        const down = await until('both controllers to see the registry gone', async () => states().every((s) => !s.registry.reachable) && states(), 60_000)
        for (const s of down) assert.match(s.registry.error!, /connection refused/)
        const status = await npm('controller:status', ['--target', names[0]!, '--json'], env)
        const reported = JSON.parse(status.stdout) as { state: ControllerState }
        assert.equal(reported.state.registry.reachable, false)
        assert.match(reported.state.lastCheck!.outcome, /the registry does not answer; serving goes on/)
        await sleep(intervalS * 3 * 1000)
        for (const url of urls) assert.equal(await version(url), digests.v3)
      } finally {
        await registry!.resume()
      }
      const up = await until('both controllers to reach the registry again', async () => states().every((s) => s.registry.reachable && s.lastCheck!.outcome === 'serves prod') && states(), 120_000)
      assert.deepEqual(up.map((s) => s.serving?.digest), [digests.v3, digests.v3])
      await usersSawNoFailure('the registry outage')
    })

    test('a controller killed with SIGKILL mid-rollout is restarted by the engine and its rollout converges', async () => {
      await client!.tag('prod', digests.v1)
      await until(`${names[0]}'s controller to start rolling`, async () => state(names[0]!)?.rolling?.digest === digests.v1, 120_000)
      const controller = await inspectContainer(`${names[0]}-controller`, process.env)
      const pid = JSON.parse((await docker(['container', 'inspect', '--format', '{{json .State.Pid}}', `${names[0]}-controller`], { env: process.env })).stdout) as number
      process.kill(pid, 'SIGKILL')
      await until('the engine to restart the controller', async () => {
        const now = await inspectContainer(`${names[0]}-controller`, process.env)
        return now?.running && now.startedAt !== controller?.startedAt
      }, 60_000)
      for (const [i, url] of urls.entries()) {
        await until(`${names[i]} to serve v1`, async () => (await version(url).catch(() => null)) === digests.v1, 240_000)
      }
      await until('no leftover candidate', async () => {
        const left = await containerNames(`name=^${names[0]}`)
        return !left.some((n) => n.endsWith('-candidate') || n.endsWith('-previous')) && left
      }, 120_000)
      // It serves v1 from the switch on; the restarted controller records the rollout after its settle window.
      const s = await until('the restarted controller to record its rollout', async () => state(names[0]!)?.lastRollout?.digest === digests.v1 && state(names[0]!), 60_000)
      assert.deepEqual([s.rolling, s.lastRollout?.outcome, s.serving?.digest], [null, 'upgraded', digests.v1])
    })

    test('replacing a controller with a new toolkit image touches nothing that serves', async () => {
      const dir = path.join(scratch, 'controller-b')
      fs.mkdirSync(dir)
      fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${controllerImage}\n`)
      const newer = `${controllerImage}-b`
      await buildImage({ dockerfile: path.join(dir, 'Dockerfile'), context: dir, tag: newer, buildArgs: {}, labels: { 'sf.fleet-test': 'newer toolkit' } }, process.env, createProgress(() => {}))
      images.unshift(newer)
      const serving = await Promise.all(names.flatMap((n) => [n, `${n}-front`, `${n}-port`]).map((n) => inspectContainer(n, process.env)))
      users()
      const replaced = await npm('controller:install', ['--target', names[0]!, '--image', newer], env)
      assert.equal(replaced.code, 0, replaced.stderr)
      assert.match(replaced.stderr, new RegExp(`replaces ${names[0]}-controller \\(running\\)`))
      assert.match(replaced.stdout, /serves prod/)
      const now = await inspectContainer(`${names[0]}-controller`, process.env)
      assert.equal(now?.image, newer)
      const after = await Promise.all(names.flatMap((n) => [n, `${n}-front`, `${n}-port`]).map((n) => inspectContainer(n, process.env)))
      assert.deepEqual(after.map((c) => [c?.name, c?.id, c?.startedAt]), serving.map((c) => [c?.name, c?.id, c?.startedAt]))
      await usersSawNoFailure('the controller replacement')
    })

    test('a second controller of a target is refused while one runs: one controller per target', async () => {
      const second = await npm('controller', ['--target', 'prod.1', '--once'], env)
      assert.equal(second.code, 1, second.stderr)
      assert.match(second.stderr, new RegExp(`error: another upgrade holds .*controller\\.lock: pid \\d+ .*controller of ${names[1]}.*one controller per target: stop that one first \\(docker rm -f ${names[1]}-controller`))
      assert.equal((await inspectContainer(`${names[1]}-controller`, process.env))?.running, true)
    })

    test('a push to a host whose controller follows the channel is refused, with nothing changed', async () => {
      const channel = await client!.resolve('prod')
      const pushed = await npm('promote', ['--digest', digests.v3], { ...env, SF_DEPLOY_MODE: 'push' })
      assert.equal(pushed.code, 2, pushed.stderr)
      assert.match(pushed.stderr, new RegExp(`error: targets\\.prod: ${names[0]}-controller follows the channel prod and rolls ${names[0]} itself, so a push from here would race it: run npm run promote -- --wait`))
      assert.equal(await client!.resolve('prod'), channel)
      for (const url of urls) assert.equal(await version(url), digests.v1)
    })

    test('an untested digest moved to prod by hand is refused by both controllers, and never pulled', async () => {
      const pulls = states().map((s) => s.pulls)
      await client!.tag('prod', digests.v4)
      const refused = await until('both to refuse v4', async () => states().every((s) => s.refused.some((r) => r.digest === digests.v4 && r.kind === 'untested')) && states(), 60_000)
      for (const s of refused) assert.match(s.refused.find((r) => r.digest === digests.v4)!.reason, /has not passed test's probes: the registry has no .*:tested-/)
      await sleep(intervalS * 3 * 1000)
      assert.deepEqual(states().map((s) => s.pulls), pulls)
      for (const url of urls) assert.equal(await version(url), digests.v1)
      // What the waiter of a promote reads, through each host's front.
      const reported = (await fetchAnswer(`${urls[1]}/api/controller`)).json as { controller: ControllerState | null }
      assert.equal(reported.controller?.channelDigest, digests.v4)
      assert.ok(reported.controller?.refused.some((r) => r.digest === digests.v4 && r.kind === 'untested'))
    })
  })
}
