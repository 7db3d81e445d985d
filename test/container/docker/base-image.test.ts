// Container tier: builds the base image on the real engine under a per-run tag, then runs what the
// server needs inside it. Everything made here carries the run's label and is removed afterwards.
// Without an engine this file skips loudly, and fails when CI is set.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { buildBaseImage, type BaseImage } from '../../../lib/docker/base-image.ts'
import { imageInspectArgs, runArgs, type RunSpec } from '../../../lib/docker/args.ts'
import { docker } from '../../../lib/docker/engine.ts'
import { createProgress } from '../../../lib/progress.ts'
import { run, type RunResult } from '../../../lib/run.ts'
import { removeRunArtifacts, requireEngine, runId, runLabels } from '../../support/docker.ts'

const env = process.env
const tag = `sf-node-base-test:${runId}`
const engine = await requireEngine('the container tests of the base image')

if (engine) {
  describe('the base image built from this host', () => {
    let image: BaseImage | undefined

    before(
      async () => {
        const started = performance.now()
        image = await buildBaseImage({ tag, env, progress: createProgress(), labels: runLabels })
        const seconds = ((performance.now() - started) / 1000).toFixed(1)
        process.stderr.write(`built ${image.tag} in ${seconds}s, ${(image.sizeBytes / 1e6).toFixed(1)} MB\n`)
      },
      { timeout: 600_000 },
    )

    after(() => removeRunArtifacts([tag]), { timeout: 120_000 })

    test('runs the same node version as the host', async () => {
      const result = await inImage(['node', '-p', 'process.version'])
      expectSuccess(result, 'node -p process.version')
      assert.equal(result.stdout.trim(), process.version, show(result))
    })

    test('has CA roots with no network, and the CA file SSL_CERT_FILE names loads into a TLS context', async () => {
      const script = `
        const fs = require('node:fs'), tls = require('node:tls')
        const file = process.env.SSL_CERT_FILE
        const pem = fs.readFileSync(file, 'utf8')
        tls.createSecureContext({ ca: pem })
        console.log(JSON.stringify({ file, certificates: pem.split('BEGIN CERTIFICATE').length - 1, roots: tls.rootCertificates.length }))`
      const result = await inImage(['node', '-e', script], { network: 'none' })
      expectSuccess(result, 'loading the CA certificates')
      const found = JSON.parse(result.stdout) as { file: string; certificates: number; roots: number }
      assert.equal(found.file, '/etc/ssl/certs/ca-certificates.crt', show(result))
      assert.ok(found.certificates > 0 && found.roots > 0, show(result))
    })

    test('runs the host git: --version, and init, commit, rev-parse and status in /tmp as uid 1000', async () => {
      const version = await inImage(['git', '--version'])
      expectSuccess(version, 'git --version')
      assert.equal(version.stdout.trim(), (await run('git', ['--version'], { env })).stdout.trim(), show(version))

      // No shell in the image: node runs the git commands one after the other.
      const script = `
        const { execFileSync } = require('node:child_process')
        const git = (...args) => execFileSync('git', args, { cwd: '/tmp/repo', encoding: 'utf8' }).trim()
        require('node:fs').mkdirSync('/tmp/repo')
        git('init', '--quiet')
        git('-c', 'user.name=SF test', '-c', 'user.email=test@sf.invalid', 'commit', '--quiet', '--allow-empty', '-m', 'first')
        console.log(JSON.stringify({ gitDir: git('rev-parse', '--git-dir'), head: git('rev-parse', 'HEAD'), status: git('status', '--porcelain') }))`
      const result = await inImage(['node', '-e', script], { user: '1000', workdir: '/tmp' })
      expectSuccess(result, 'git init, commit, rev-parse and status')
      const found = JSON.parse(result.stdout) as { gitDir: string; head: string; status: string }
      assert.equal(found.gitDir, '.git', show(result))
      assert.match(found.head, /^[0-9a-f]{40}$/, show(result))
      assert.equal(found.status, '', show(result))
      assert.equal(result.stderr, '', show(result))
    })

    test('its docker CLI reaches the engine through the mounted socket', async (t) => {
      const socket = engineSocket(env)
      if (!socket) return t.skip(`DOCKER_HOST=${env.DOCKER_HOST} is not a unix socket that could be mounted`)
      const result = await inImage(['docker', 'version', '--format', '{{.Server.Version}}'], {
        mounts: [{ source: socket, target: '/var/run/docker.sock' }],
      })
      expectSuccess(result, 'docker version inside the container')
      assert.equal(result.stdout.trim(), engine.version, show(result))
    })

    test('uid 1000 is node, in /etc/passwd and /etc/group, owning /home/node; /tmp is sticky and open to all', async () => {
      const script = `
        const fs = require('node:fs'), os = require('node:os')
        console.log(JSON.stringify({
          user: os.userInfo(),
          passwd: fs.readFileSync('/etc/passwd', 'utf8').split('\\n').find((l) => l.split(':')[2] === '1000'),
          group: fs.readFileSync('/etc/group', 'utf8').split('\\n').find((l) => l.split(':')[2] === '1000'),
          homeOwner: fs.statSync('/home/node').uid,
          tmpMode: (fs.statSync('/tmp').mode & 0o7777).toString(8),
        }))`
      const result = await inImage(['node', '-e', script], { user: '1000' })
      expectSuccess(result, 'reading the users as uid 1000')
      assert.deepEqual(JSON.parse(result.stdout), {
        user: { uid: 1000, gid: 1000, username: 'node', homedir: '/home/node', shell: '/sbin/nologin' },
        passwd: 'node:x:1000:1000:node:/home/node:/sbin/nologin',
        group: 'node:x:1000:',
        homeOwner: 1000,
        tmpMode: '1777',
      }, show(result))
    })

    test('is labelled with the node version it holds', async () => {
      assert.ok(image, 'the image was not built')
      const result = await docker(imageInspectArgs(tag, '{{index .Config.Labels "sf.base.node-version"}}'), { env })
      assert.equal(result.stdout.trim(), process.version.slice(1))
    })
  })
}

let containers = 0

/** One container from the image under test, removed when it exits; its output and exit code. */
function inImage(command: string[], spec: Partial<RunSpec> = {}): Promise<RunResult> {
  const name = `sf-base-test-${runId}-${++containers}`
  return docker(runArgs({ image: tag, command, name, remove: true, labels: runLabels, ...spec }), { env, allowFailure: true })
}

function expectSuccess(result: RunResult, what: string): void {
  assert.equal(result.code, 0, `${what} failed in the container\n${show(result)}`)
}

function show(result: RunResult): string {
  return `exit code ${result.code}\n--- stdout ---\n${result.stdout}--- stderr ---\n${result.stderr}--------------`
}

/** The host path of the engine's unix socket, for mounting it into a container. */
function engineSocket(env: NodeJS.ProcessEnv): string | undefined {
  const host = env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'
  return host.startsWith('unix://') ? host.slice('unix://'.length) : undefined
}

