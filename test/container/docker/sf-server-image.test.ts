// Container tier: builds the production image from the current dist/ on the real engine under a
// per-run tag, runs it on a free loopback port and proves the chain of evidence from outside: probes,
// labels, contents, health and the drain on docker stop. Run build:core, build:web-host and
// write-manifest first (npm test does). Everything made here carries the run's label and is removed
// afterwards. Without an engine this file skips loudly, and fails when CI is set.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { imageInspectArgs, logsArgs, runArgs, runDetachedArgs, stopArgs, type ContainerSpec } from '../../../lib/docker/args.ts'
import { docker } from '../../../lib/docker/engine.ts'
import { inspectContainer } from '../../../lib/docker/inspect.ts'
import { distPaths } from '../../../lib/paths.ts'
import { fetchAnswer, waitFor } from '../../../lib/probe.ts'
import { createProgress } from '../../../lib/progress.ts'
import { buildSfServerImage, type SfServerImage } from '../../../lib/docker/sf-server-image.ts'
import { localBase, removeRunArtifacts, requireEngine, runId, runLabels } from '../../support/docker.ts'
import { freePort, tempDir } from '../../support/server.ts'

const env = process.env
const tag = `sf-server-test:${runId}`
const name = `sf-server-test-${runId}`
/** A digest the deployer would pass in; the server must show it as is. */
const digest = `sha256:${createHash('sha256').update(runId).digest('hex')}`
/** Mounted at /workspace; made in before(). */
let workspace = ''
const engine = await requireEngine('the container tests of the sf-server image')

if (engine) {
  describe('the sf-server image built from dist/', () => {
    const manifestText = fs.readFileSync(distPaths().manifest, 'utf8')
    const manifest = JSON.parse(manifestText) as { version: string; builtAt: string; loader: string; git: { commit: string }; webHost: { buildId: string } }
    let image: SfServerImage | undefined
    let url = ''
    let startedAt = 0

    before(
      withLogs(async () => {
        const progress = createProgress()
        // No registry is reachable from tests: build on the local base, never pull.
        const base = await localBase()

        const started = performance.now()
        image = await buildSfServerImage({ root: path.dirname(distPaths().dist), tag, env, config: { SF_BASE_IMAGE: base }, progress, labels: runLabels })
        const seconds = ((performance.now() - started) / 1000).toFixed(1)
        process.stderr.write(`built ${image.tag} on ${image.base} in ${seconds}s, ${(image.sizeBytes / 1e6).toFixed(1)} MB\n`)

        workspace = tempDir('image-workspace')
        // The image runs as uid 1000: a deployer's workspace must be readable by it (mkdtemp makes 0700).
        fs.chmodSync(workspace, 0o755)
        fs.mkdirSync(path.join(workspace, '.git'))
        const port = await freePort()
        url = `http://127.0.0.1:${port}`
        startedAt = performance.now()
        await docker(runDetachedArgs(serverContainer(port, workspace)), { env })
        await waitFor(`${url}/api/ready`, { deadlineMs: 60_000, abortIf: containerGone })
      }),
      { timeout: 600_000 },
    )

    after(async () => {
      if (workspace) fs.rmSync(workspace, { recursive: true, force: true })
      await removeRunArtifacts([tag])
    }, { timeout: 120_000 })

    test(
      'answers /api/healthz and /api/ready with 200',
      withLogs(async () => {
        const health = await fetchAnswer(`${url}/api/healthz`)
        assert.equal(health.status, 200, health.body)
        const ready = await fetchAnswer(`${url}/api/ready`)
        assert.equal(ready.status, 200, ready.body)
      }),
    )

    test(
      '/api/version serves the manifest of dist/ and the tag baked in and the digest passed in',
      withLogs(async () => {
        const version = await fetchAnswer(`${url}/api/version`)
        assert.equal(version.status, 200, version.body)
        const body = version.json as { manifest: unknown; runningImage: { tag: string; digest: string } }
        assert.deepEqual(body.manifest, JSON.parse(manifestText))
        assert.deepEqual(body.runningImage, { tag, digest })
      }),
    )

    test(
      "carries the manifest's commit, version and build time as OCI labels, and its build id",
      withLogs(async () => {
        const labels = await inspectImage<Record<string, string>>('{{json .Config.Labels}}')
        assert.equal(labels['org.opencontainers.image.revision'], manifest.git.commit)
        assert.equal(labels['org.opencontainers.image.version'], manifest.version)
        assert.equal(labels['org.opencontainers.image.created'], manifest.builtAt)
        assert.equal(labels['sf.build-id'], manifest.webHost.buildId)
      }),
    )

    test(
      'runs the loader on 0.0.0.0:4000 for /workspace, stops on SIGTERM, checks /api/healthz and names itself',
      withLogs(async () => {
        const config = await inspectImage<{ Cmd: string[]; StopSignal: string; Healthcheck: { Test: string[] }; Env: string[] }>('{{json .Config}}')
        assert.deepEqual(config.Cmd, ['node', '/opt/sf/dist/loader.js', 'server', '/workspace', '--host', '0.0.0.0', '--port', '4000'])
        assert.equal(config.StopSignal, 'SIGTERM')
        assert.match(config.Healthcheck.Test.join(' '), /127\.0\.0\.1:4000\/api\/healthz/)
        assert.ok(config.Env.includes(`SF_IMAGE_TAG=${tag}`), config.Env.join('\n'))
        assert.ok(config.Env.includes('HOME=/home/node'), config.Env.join('\n'))
      }),
    )

    test(
      'holds dist/ with exactly the one staged build the manifest names, and no sources',
      withLogs(async () => {
        const script = `
          const fs = require('node:fs')
          console.log(JSON.stringify({
            sf: fs.readdirSync('/opt/sf').sort(),
            dist: fs.readdirSync('/opt/sf/dist').sort(),
            builds: fs.readdirSync('/opt/sf/dist/web/builds'),
            standalone: fs.readlinkSync('/opt/sf/dist/web/standalone'),
            lib: fs.existsSync('/opt/sf/lib'),
            web: fs.existsSync('/opt/sf/web'),
          }))`
        const listing = await docker(runArgs({ image: tag, command: ['node', '-e', script], remove: true, network: 'none', labels: runLabels }), { env })
        assert.deepEqual(JSON.parse(listing.stdout), {
          sf: ['dist'],
          dist: [manifest.loader, 'loader.js', 'package.json', 'sf-release-manifest.json', 'web'].sort(),
          builds: [manifest.webHost.buildId],
          standalone: `builds/${manifest.webHost.buildId}/web`,
          lib: false,
          web: false,
        })
      }),
    )

    test(
      'becomes healthy by its own HEALTHCHECK within 60 s of starting',
      withLogs(async () => {
        let health: string | null = null
        let pause = 250
        while ((health = (await inspectContainer(name, env))?.health ?? null) !== 'healthy') {
          const waited = performance.now() - startedAt
          assert.ok(health !== 'unhealthy', 'docker reports the container unhealthy')
          assert.ok(waited + pause < 60_000, `not healthy ${Math.round(waited)} ms after the start; last status: ${health}`)
          await new Promise((resolve) => setTimeout(resolve, pause))
          pause = Math.min(pause * 2, 2000)
        }
        process.stderr.write(`healthy ${((performance.now() - startedAt) / 1000).toFixed(1)}s after the start\n`)
      }),
    )

    test(
      'docker stop --time 30 drains it: it logs "drained in" and exits 0',
      withLogs(async () => {
        const started = performance.now()
        await docker(stopArgs(name, 30), { env })
        const seconds = ((performance.now() - started) / 1000).toFixed(1)
        const state = await inspectContainer(name, env)
        assert.ok(state, `container ${name} is gone`)
        assert.equal(state.running, false)
        assert.equal(state.exitCode, 0, `exit code ${state.exitCode} after ${seconds}s`)
        assert.match(await containerLogs(), /drained in \d+ ms/)
        process.stderr.write(`docker stop took ${seconds}s\n`)
      }),
    )
  })
}

/** The container under test: the image's own command, the workspace mounted, a digest passed in. */
function serverContainer(port: number, workspace: string): ContainerSpec {
  return {
    name,
    image: tag,
    command: [],
    env: { SF_IMAGE_DIGEST: digest },
    mounts: [{ source: workspace, target: '/workspace' }],
    ports: [{ bind: '127.0.0.1', hostPort: port, containerPort: 4000 }],
    groupAdd: [],
    restart: 'no',
    stopSignal: 'SIGTERM',
    stopTimeout: 30,
    labels: runLabels,
  }
}

/** Why waiting for the server cannot help any more, or null while its container runs. */
async function containerGone(): Promise<string | null> {
  const state = await inspectContainer(name, env)
  if (!state) return `container ${name} does not exist`
  return state.running ? null : `container ${name} exited with ${state.exitCode}`
}

async function inspectImage<T>(format: string): Promise<T> {
  return JSON.parse((await docker(imageInspectArgs(tag, format), { env })).stdout) as T
}

async function containerLogs(): Promise<string> {
  const logs = await docker(logsArgs(name, 300), { env, allowFailure: true })
  return logs.stdout + logs.stderr
}

/** Run `body`; when it fails, the container's logs join the failure message. */
function withLogs(body: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await body()
    } catch (error) {
      const logs = await containerLogs().catch((e: Error) => `(no logs: ${e.message})`)
      if (error instanceof Error) error.message += `\n--- logs of container ${name} ---\n${logs}--------------`
      throw error
    }
  }
}

