// Container tier: publish-image stopped by a signal in the middle of `docker push`, with registry
// credentials set. The registry is a TCP server on 127.0.0.1 that accepts and never answers, so the
// engine's push hangs; the image is an empty one imported here with the build id the manifest names,
// so nothing is built or pulled. The script must stop its docker child, remove the docker config that
// held the credentials, and exit 128+signal. Needs write-manifest first (the manifest's build id).
// Removes its image, its temp dirs and the stalling server afterwards.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { docker } from '../../../lib/docker/engine.ts'
import { distPaths, repoRoot } from '../../../lib/paths.ts'
import { readManifest } from '../../../lib/release/manifest.ts'
import { removeImages, removeRunArtifacts, requireEngine, runId, runLabels } from '../../support/docker.ts'
import { tempDir } from '../../support/server.ts'

const localTag = `sf-server-interrupt-test:${runId}`
const engine = await requireEngine('publish-image stopped by a signal mid-push')

/** The pid of `parent`'s child process whose command line holds `word`, or null. */
function childWith(parent: number, word: string): number | null {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === parent && fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(word)) return Number(entry)
    } catch {
      // gone meanwhile
    }
  }
  return null
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function until<T>(what: string, check: () => T | null, deadlineMs = 60_000): Promise<T> {
  const end = Date.now() + deadlineMs
  for (;;) {
    const value = check()
    if (value !== null) return value
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

if (engine) {
  describe('publish-image stopped by a signal mid-push', { timeout: 300_000 }, () => {
    const sockets = new Set<net.Socket>()
    const stall = net.createServer((socket) => {
      sockets.add(socket)
      socket.on('error', () => {})
    })
    const scratch = tempDir('interrupt')
    let registry = ''

    before(async () => {
      const manifest = readManifest(distPaths().manifest)
      assert.ok(manifest, 'run npm run build:core, build:web-host and write-manifest first')
      const emptyTar = path.join(scratch, 'empty.tar')
      fs.writeFileSync(emptyTar, Buffer.alloc(10240))
      const labels = Object.entries({ ...runLabels, 'sf.build-id': manifest.webHost.buildId }).flatMap(([k, v]) => ['--change', `LABEL ${k}=${v}`])
      await docker(['import', ...labels, emptyTar, localTag], { env: process.env })
      await new Promise<void>((resolve) => stall.listen(0, '127.0.0.1', resolve))
      registry = `127.0.0.1:${(stall.address() as net.AddressInfo).port}/sf-${runId}`
    })

    after(async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => stall.close(resolve))
      await removeImages([localTag, `${registry}/sf-server:${runId}`])
      await removeRunArtifacts([localTag])
      fs.rmSync(scratch, { recursive: true, force: true })
    })

    for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
      test(`on ${signal} stops docker push, removes the docker config holding the credentials and exits ${code}`, async () => {
        const tmp = fs.mkdtempSync(path.join(scratch, 'tmp-'))
        const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/publish-image.ts', '--tag', localTag], {
          cwd: repoRoot,
          env: { ...process.env, TMPDIR: tmp, SF_REGISTRY: registry, SF_REGISTRY_USER: 'ci', SF_REGISTRY_PASSWORD: 'hunter2-registry-secret' },
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        let stderr = ''
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
        const exited = new Promise<number | string>((resolve) => child.on('exit', (c, s) => resolve(c ?? s ?? -1)))
        let push: number | null = null
        try {
          push = await until('docker push to start, with its config written', () => {
            const pid = childWith(child.pid!, 'push')
            const held = fs.readdirSync(tmp).some((d) => d.startsWith('sf-registry-auth-') && fs.existsSync(path.join(tmp, d, 'config.json')))
            return pid !== null && held ? pid : null
          })
          // Still pushing a moment later: the registry never answers.
          await new Promise((resolve) => setTimeout(resolve, 500))
          assert.ok(alive(push), `docker push ended early:\n${stderr}`)

          process.kill(child.pid!, signal)
          assert.equal(await exited, code, stderr)
          assert.equal(alive(push), false, 'the docker child still runs')
          assert.deepEqual(fs.readdirSync(tmp).filter((d) => d.startsWith('sf-registry-auth-')), [], 'the docker config with the credentials is left behind')
          assert.match(stderr, new RegExp(`error: interrupted by ${signal}: docker stopped and the registry credentials removed\\n$`))
          assert.doesNotMatch(stderr, /hunter2/)
        } finally {
          child.kill('SIGKILL')
          if (push !== null && alive(push)) process.kill(push, 'SIGKILL')
        }
      })
    }
  })
}
