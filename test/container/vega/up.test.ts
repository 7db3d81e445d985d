// npm run docker:vega:up against the real engine, with per-run names, ports and folders.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { execArgs } from '../../../lib/docker/args.ts'
import { docker } from '../../../lib/docker/engine.ts'
import { inspectContainer } from '../../../lib/docker/inspect.ts'
import { distPaths, repoRoot } from '../../../lib/paths.ts'
import { fetchAnswer } from '../../../lib/probe.ts'
import { inContainer } from '../../../lib/vega/container.ts'
import { containerNames, removeContainers, removeImages, requireEngine, runId, vegaEnv, withLogs } from '../../support/docker.ts'
import { workspacesFixture } from '../../support/fixtures.ts'
import { scratchCheckout } from '../../support/scratch.ts'
import { freePort, tempDir } from '../../support/server.ts'

interface Outcome {
  code: number
  stdout: string
  stderr: string
}

function npmRun(script: string, env: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile('npm', ['run', '--silent', script], { cwd: repoRoot, env: { ...process.env, ...env }, maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    )
  })
}

const engine = await requireEngine('the docker:vega:up container tests')
if (engine) {
  describe('npm run docker:vega:up', () => {
    const name = `sf-vega-test-${runId}`
    const image = `sf-source-server-test:${runId}`
    const fixture = workspacesFixture()
    const sfHome = path.join(tempDir('vega-home'), '.sf')
    let env: Record<string, string>
    let port: number

    before(async () => {
      port = await freePort()
      env = await vegaEnv({ name, image, port, sfHome, workspace: fixture.alpha, workspaces: fixture.root })
    })
    after(async () => {
      await removeContainers([name])
      await removeImages([image])
      fixture.cleanup()
      fs.rmSync(path.dirname(sfHome), { recursive: true, force: true })
    })

    test('from nothing, leaves one container serving this build on 127.0.0.1, made exactly as the vega profile says', async () => {
      await withLogs([name], async () => {
        const up = await npmRun('docker:vega:up', env)
        assert.equal(up.code, 0, up.stderr)
        assert.match(up.stdout, new RegExp(`serving http://127\\.0\\.0\\.1:${port} from container ${name}`))
        assert.deepEqual(await containerNames(`label=sf.vega.name=${name}`), [name])

        const url = `http://127.0.0.1:${port}`
        for (const probe of ['healthz', 'ready', 'projects']) assert.equal((await fetchAnswer(`${url}/api/${probe}`)).status, 200, probe)
        const version = (await fetchAnswer(`${url}/api/version`)).json as { manifest: unknown }
        assert.deepEqual(version.manifest, JSON.parse(fs.readFileSync(distPaths().manifest, 'utf8')))

        const state = await inspectContainer(name, process.env)
        assert.ok(state)
        const socketGid = fs.statSync('/var/run/docker.sock').gid
        assert.deepEqual(state.groupAdd, [String(socketGid)])
        assert.deepEqual(state.ports, [{ bind: '127.0.0.1', hostPort: port, containerPort: 4000 }])
        assert.deepEqual(
          [...state.mounts].sort((a, b) => a.target.localeCompare(b.target)),
          [
            { source: fixture.root, target: fixture.root },
            { source: repoRoot, target: '/opt/sf' },
            { source: sfHome, target: '/root/.sf' },
            { source: '/var/run/docker.sock', target: '/var/run/docker.sock' },
            { source: fixture.alpha, target: '/workspace' },
            { source: fixture.root, target: '/workspaces' },
          ].sort((a, b) => a.target.localeCompare(b.target)),
        )
        const expectedEnv = {
          SF_WORKSPACE_DIR: inContainer.workspace,
          SF_WORKSPACES_DIR: inContainer.workspaces,
          SF_HOME: inContainer.sfHome,
          SF_RPC_SHUTDOWN_GRACE_MS: '600000',
          SF_SOURCE_HOST_ROOT: repoRoot,
          SF_WORKSPACE_HOST_DIR: fixture.alpha,
          SF_WORKSPACES_HOST_DIR: fixture.root,
          SF_HOME_HOST_DIR: sfHome,
          SF_VEGA_NAME: name,
        }
        for (const [key, value] of Object.entries(expectedEnv)) assert.equal(state.env[key], value, key)
      })
    })

    test('from inside the container the docker CLI reaches the engine through the socket', async () => {
      await withLogs([name], async () => {
        const inside = await docker(execArgs(name, ['docker', 'version', '--format', '{{.Server.Version}}']), { env: process.env })
        assert.equal(inside.stdout.trim(), engine.version)
      })
    })

    test('a re-run keeps what is under the persisted ~/.sf and leaves exactly one container', async () => {
      await withLogs([name], async () => {
        await docker(execArgs(name, ['sh', '-c', 'echo kept > /root/.sf/marker']), { env: process.env })
        const first = await inspectContainer(name, process.env)
        const again = await npmRun('docker:vega:up', env)
        assert.equal(again.code, 0, again.stderr)
        assert.match(again.stderr, new RegExp(`drain ${name} \\(docker stop --time 610\\): done`))
        const second = await inspectContainer(name, process.env)
        assert.notEqual(second?.id, first?.id, 'the container was replaced')
        assert.deepEqual(await containerNames(`label=sf.vega.name=${name}`), [name])
        assert.equal(fs.readFileSync(path.join(sfHome, 'marker'), 'utf8'), 'kept\n')
        const inside = await docker(execArgs(name, ['node', '-e', "process.stdout.write(require('fs').readFileSync('/root/.sf/marker', 'utf8'))"]), { env: process.env })
        assert.equal(inside.stdout, 'kept\n')
      })
    })
  })

  describe('npm run docker:vega:up refuses, leaving nothing half-made', () => {
    const name = `sf-vega-refuse-${runId}`
    const image = `sf-source-server-refuse:${runId}`
    const fixture = workspacesFixture()
    let env: Record<string, string>

    before(async () => {
      env = await vegaEnv({ name, image, port: await freePort(), sfHome: path.join(fixture.root, '.sf-home'), workspace: fixture.alpha, workspaces: fixture.root })
    })
    after(async () => {
      await removeContainers([name])
      await removeImages([image])
      fixture.cleanup()
    })

    const nothingMade = async () => {
      assert.deepEqual(await containerNames(`name=^${name}$`), [], 'no container was made')
      const images = await docker(['image', 'ls', '--quiet', image], { env: process.env })
      assert.equal(images.stdout.trim(), '', 'no image was built')
      assert.equal(fs.existsSync(path.join(fixture.root, '.sf-home')), false, 'SF_HOME was not created')
    }

    test('when no engine answers, saying how to get one', async () => {
      const out = await npmRun('docker:vega:up', { ...env, DOCKER_HOST: `unix://${path.join(fixture.root, 'no-engine.sock')}` })
      assert.equal(out.code, 1)
      assert.match(out.stderr, /error: no Docker Engine answers .*apt-get install -y docker\.io/)
      await nothingMade()
    })

    test('when another process holds the port, naming the fix', async () => {
      const blocker = net.createServer().listen(Number(env.SF_VEGA_PORT), '127.0.0.1')
      await new Promise((resolve) => blocker.once('listening', resolve))
      try {
        const out = await npmRun('docker:vega:up', env)
        assert.equal(out.code, 2)
        assert.match(out.stderr, new RegExp(`error: port ${env.SF_VEGA_PORT} on 127\\.0\\.0\\.1 is taken by another process: stop it, or set SF_VEGA_PORT`))
        await nothingMade()
      } finally {
        blocker.close()
      }
    })

    test('when the workspace dir is missing', async () => {
      const out = await npmRun('docker:vega:up', { ...env, SF_WORKSPACE_DIR: path.join(fixture.root, 'gone') })
      assert.equal(out.code, 2)
      assert.match(out.stderr, /SF_WORKSPACE_DIR=".*gone": must be an existing directory/)
      await nothingMade()
    })

    test('a bad SF_VEGA_BIND, a host name (docker needs an address), and 0.0.0.0 without SF_VEGA_ALLOW_PUBLIC=1 with the warning', async () => {
      const bad = await npmRun('docker:vega:up', { ...env, SF_VEGA_BIND: '0.0.0.0.0' })
      assert.equal(bad.code, 2)
      assert.match(bad.stderr, /SF_VEGA_BIND="0\.0\.0\.0\.0": must be an IP address/)
      const name = await npmRun('docker:vega:up', { ...env, SF_VEGA_BIND: 'localhost' })
      assert.equal(name.code, 2)
      assert.match(name.stderr, /SF_VEGA_BIND="localhost": must be an IP address .*docker publishes ports on addresses, not names/)
      const open = await npmRun('docker:vega:up', { ...env, SF_VEGA_BIND: '0.0.0.0' })
      assert.equal(open.code, 2)
      assert.match(open.stderr, /do not bind public 0\.0\.0\.0 unless a proxy\/firewall owns access control/i)
      await nothingMade()
    })

    test('a checkout without the web dependencies gets them installed first, as npm start does', async () => {
      const scratch = scratchCheckout()
      const bin = tempDir('fake-npm')
      try {
        fs.rmSync(path.join(scratch.dir, 'web', 'node_modules', 'next'), { recursive: true })
        // Stands in for npm: records that it was asked, installs nothing (the build then stops, cheaply).
        fs.writeFileSync(path.join(bin, 'npm'), `#!/bin/sh\necho "$@" >> ${path.join(bin, 'calls')}\n`, { mode: 0o755 })
        const up = await new Promise<Outcome>((resolve) =>
          execFile(process.execPath, ['--import', 'tsx', 'scripts/docker-vega-up.ts'], { cwd: scratch.dir, env: { ...process.env, ...env, SF_HOME: path.join(bin, '.sf'), PATH: `${bin}:${process.env.PATH}` } }, (error, stdout, stderr) =>
            resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
          ),
        )
        assert.match(up.stderr, /install web dependencies \(npm --prefix web ci\)/)
        assert.equal(fs.readFileSync(path.join(bin, 'calls'), 'utf8'), `--prefix ${path.join(scratch.dir, 'web')} ci --no-audit --no-fund\n`)
        assert.match(up.stderr, /error: web dependencies are missing .*\n$/, 'the fake installed nothing; the message ends its line')
      } finally {
        scratch.remove()
        fs.rmSync(bin, { recursive: true, force: true })
      }
    })
  })
}
