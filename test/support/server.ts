// Starting the real loader on a free loopback port, for process tests.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { distPaths, repoRoot } from '../../lib/paths.ts'
import { freePort } from '../../lib/ports.ts'
import { waitFor } from '../../lib/probe.ts'

export { freePort }

/** Every dir tempDir made in this process, removed when it exits: each test file runs in a process of its own. */
const made = new Set<string>()
process.once('exit', () => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
})

/** A temp dir of this test file's own; removed at its exit, whether its tests passed or failed. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sf-${prefix}-`))
  made.add(dir)
  return dir
}

export interface RunningServer {
  url: string
  port: number
  child: ChildProcess
  sfHome: string
  /** Everything the loader and the host printed so far. */
  output(): string
  /** Resolves with the exit code (or 128+signal) once the loader has exited. */
  exited: Promise<number>
  adminToken(): string
  /** SIGKILL the loader's whole group if it still runs (cleanup). */
  kill(): void
}

export interface StartOptions {
  workspace?: string
  env?: Record<string, string>
  /** Wait for /api/ready (the default) or return at once. */
  waitReady?: boolean
  /** The loader to run (default: this checkout's dist/loader.js). */
  loader?: string
  /** The --host to pass (default 127.0.0.1); the tests reach it on 127.0.0.1 either way. */
  host?: string
}

export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const port = await freePort()
  const sfHome = path.join(tempDir('home'), '.sf')
  const workspace = options.workspace ?? repoRoot
  let output = ''
  const child = spawn(process.execPath, [options.loader ?? distPaths().loader, 'server', workspace, '--host', options.host ?? '127.0.0.1', '--port', String(port)], {
    env: { PATH: process.env.PATH, HOME: path.dirname(sfHome), SF_HOME: sfHome, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? 137 : 143))))
  const url = `http://127.0.0.1:${port}`
  const server: RunningServer = {
    url,
    port,
    child,
    sfHome,
    output: () => output,
    exited,
    adminToken: () => fs.readFileSync(path.join(sfHome, 'admin-token'), 'utf8').trim(),
    kill() {
      // The web host runs in its own process group, so it is killed by its pid as well.
      const host = /web host pid (\d+)/.exec(output)?.[1]
      for (const pid of [child.pid, host && Number(host)]) {
        try {
          if (pid) process.kill(pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }
    },
  }
  if (options.waitReady ?? true) {
    let exitCode: number | null = null
    void exited.then((c) => (exitCode = c))
    try {
      await waitFor(`${url}/api/ready`, { deadlineMs: 30_000, abortIf: () => (exitCode === null ? null : `the loader exited with ${exitCode}`) })
    } catch (error) {
      server.kill()
      throw new Error(`${(error as Error).message}\n--- server output ---\n${output}`)
    }
  }
  return server
}
