// The loader's checks of its checkout's .env, manifest and flags, run for real from a checkout of
// its own (the loader reads .env from the folder above its dist/), so this checkout is never touched.
import assert from 'node:assert/strict'
import { execFile, execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { describe, test } from 'node:test'
import { fetchAnswer } from '../../../lib/probe.ts'
import { distPaths } from '../../../lib/paths.ts'
import type { SfConfig } from '../../../lib/env.ts'
import { runServer } from '../../../lib/server/loader.ts'
import { freePort, startServer, tempDir } from '../../support/server.ts'

/** A checkout holding a copy of the built loader, this checkout's staged web host and manifest, and `dotenv`. */
function checkoutWith(dotenv: string | null): { checkout: string; loader: string; remove(): void } {
  const checkout = tempDir('checkout')
  const real = distPaths()
  const dist = distPaths(checkout)
  fs.mkdirSync(dist.dist)
  fs.copyFileSync(real.loader, dist.loader)
  fs.copyFileSync(path.join(real.dist, 'package.json'), path.join(dist.dist, 'package.json'))
  fs.symlinkSync(path.join(real.dist, 'web'), path.join(dist.dist, 'web'))
  fs.copyFileSync(real.manifest, dist.manifest)
  if (dotenv !== null) fs.writeFileSync(path.join(checkout, '.env'), dotenv)
  return { checkout, loader: dist.loader, remove: () => fs.rmSync(checkout, { recursive: true, force: true }) }
}

function runLoader(loader: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [loader, ...args], { env: { PATH: process.env.PATH, HOME: tempDir('home'), ...env }, timeout: 20_000, maxBuffer: 64 * 1024 * 1024 }, (error, _out, stderr) => resolve({ code: error ? Number(error.code) : 0, stderr }))
  })
}

describe('the loader and its checkout', () => {
  test('hands the web host only the SF_* variables of .env, and names a misspelled one with the closest known', async () => {
    const c = checkoutWith('NODE_OPTIONS=--bogus-flag\nSF_WEB_PRT=5000\n')
    const server = await startServer({ loader: c.loader, workspace: c.checkout })
    try {
      assert.equal((await fetchAnswer(`${server.url}/api/ready`)).status, 200)
      assert.match(server.output(), /warning: .*\.env: NODE_OPTIONS is ignored: \.env holds SF_\* variables only/)
      assert.match(server.output(), /warning: SF_WEB_PRT \(from \.env\) is not a variable SF reads: did you mean SF_WEB_PORT\?/)
      server.child.kill('SIGTERM')
      assert.equal(await server.exited, 0, server.output())
    } finally {
      server.kill()
      c.remove()
    }
  })

  test('warns that --host 0.0.0.0 binds every interface, as SF_VEGA_BIND would refuse, unless SF_VEGA_ALLOW_PUBLIC=1', async () => {
    const c = checkoutWith(null)
    const server = await startServer({ loader: c.loader, workspace: c.checkout, host: '0.0.0.0' })
    const allowed = await startServer({ loader: c.loader, workspace: c.checkout, host: '0.0.0.0', env: { SF_VEGA_ALLOW_PUBLIC: '1' } })
    try {
      assert.match(server.output(), /warning: --host "0\.0\.0\.0" binds every interface: .*SF_VEGA_ALLOW_PUBLIC=1/)
      assert.doesNotMatch(allowed.output(), /binds every interface/)
    } finally {
      server.kill()
      allowed.kill()
      c.remove()
    }
  })

  test('refuses a .env that is a directory with error: and the fix, exit 2', async () => {
    const c = checkoutWith(null)
    fs.mkdirSync(path.join(c.checkout, '.env'))
    try {
      const { code, stderr } = await runLoader(c.loader, ['server', c.checkout, '--port', String(await freePort())])
      assert.equal(code, 2, stderr)
      assert.equal(stderr, `error: ${path.join(c.checkout, '.env')} is a directory: .env must be a file of NAME=value lines; move the directory away\n`)
    } finally {
      c.remove()
    }
  })

  test('refuses a manifest that is a directory with error: and the fix, exit 1', async () => {
    const c = checkoutWith(null)
    const manifest = distPaths(c.checkout).manifest
    fs.rmSync(manifest)
    fs.mkdirSync(manifest)
    try {
      const { code, stderr } = await runLoader(c.loader, ['server', c.checkout, '--port', String(await freePort())])
      assert.equal(code, 1, stderr)
      assert.equal(stderr, `error: ${manifest} is a directory, not a release manifest: move it away, then run npm run write-manifest\n`)
    } finally {
      c.remove()
    }
  })

  test('refuses --port "" and --host "" rather than taking the defaults', async () => {
    const c = checkoutWith(null)
    try {
      const { code, stderr } = await runLoader(c.loader, ['server', c.checkout, '--port', '', '--host', ''])
      assert.equal(code, 2, stderr)
      assert.match(stderr, /--host "" \(SF_WEB_HOST\): must be an IPv4 address/)
      assert.match(stderr, /--port "" \(SF_WEB_PORT\): must be a whole number from 1 to 65535/)
    } finally {
      c.remove()
    }
  })

  test('refuses a .env that is a FIFO instead of waiting on it, with the fix, exit 2', async () => {
    const c = checkoutWith(null)
    const file = path.join(c.checkout, '.env')
    execFileSync('mkfifo', [file])
    try {
      const { code, stderr } = await runLoader(c.loader, ['server', c.checkout, '--port', String(await freePort())])
      assert.equal(code, 2, stderr)
      assert.equal(stderr, `error: ${file} is not a regular file (a FIFO): .env must be a file of NAME=value lines; move it away\n`)
    } finally {
      c.remove()
    }
  })

  test('refuses a NUL byte in a .env value by the variable\'s name, printing neither the value nor a stack', async () => {
    const c = checkoutWith('SF_REGISTRY_USER=ci\nSF_REGISTRY_PASSWORD=hunter2\0rest\n')
    try {
      const { code, stderr } = await runLoader(c.loader, ['server', c.checkout, '--port', String(await freePort())])
      assert.equal(code, 2, stderr)
      assert.equal(stderr, `error: ${path.join(c.checkout, '.env')}: SF_REGISTRY_PASSWORD holds a NUL byte, which no environment variable can: fix that line\n`)
    } finally {
      c.remove()
    }
  })

  test('refuses SF_ALLOWED_HOSTS of 300000 or 10000 names in .env before starting anything, with a short message and no stack', async () => {
    const hosts = (n: number) => Array.from({ length: n }, (_, i) => `h${i}.example`).join(',')
    for (const [n, expected] of [
      [300_000, /^error: \/.*\/\.env is \d+ bytes: at most 262144 \(256 KiB\); it holds SF_\* variables only, so trim it\n$/],
      [10_000, /^error: invalid configuration:\n {2}SF_ALLOWED_HOSTS="h0\.example,[^"]*"… \(\d+ characters\) \(from .*\.env\): must be at most 8192 characters\n$/],
    ] as const) {
      const c = checkoutWith(`SF_ALLOWED_HOSTS=${hosts(n)}\n`)
      try {
        const { code, stderr } = await runLoader(c.loader, ['server', c.checkout, '--port', String(await freePort())])
        assert.equal(code, 2, stderr.slice(0, 2000))
        assert.match(stderr, expected)
      } finally {
        c.remove()
      }
    }
  })

  test('hides a rejected SF_ADMIN_TOKEN and SF_REGISTRY_USER, naming only their lengths', async () => {
    const c = checkoutWith('SF_REGISTRY_USER=ci:hunter2\n')
    try {
      const { code, stderr } = await runLoader(c.loader, ['server', c.checkout, '--port', String(await freePort())], { SF_ADMIN_TOKEN: 'fifteen-chars!!' })
      assert.equal(code, 2, stderr)
      assert.doesNotMatch(stderr, /fifteen|hunter2/)
      assert.match(stderr, /SF_ADMIN_TOKEN=\(15 characters, not shown\): must be at least 16 characters/)
      assert.match(stderr, /SF_REGISTRY_USER=\(10 characters, not shown\) \(from .*\.env\): must be a user name/)
    } finally {
      c.remove()
    }
  })
})

describe('the loader and a web host that dies of a signal', () => {
  // A web host out of memory aborts (SIGABRT); the loader must say so as a shell would, 128 + 6.
  const fatal: [NodeJS.Signals, number, string][] = [
    ['SIGABRT', 134, 'process.abort()'],
    ['SIGSEGV', 139, "process.kill(process.pid, 'SIGSEGV')"],
    ['SIGBUS', 135, "process.kill(process.pid, 'SIGBUS')"],
  ]
  for (const [signal, code, script] of fatal) {
    test(`exits ${code} when the web host dies of ${signal}`, async () => {
      const dir = tempDir('fatal')
      const serverJs = path.join(dir, 'server.js')
      fs.writeFileSync(serverJs, `${script}\nsetTimeout(() => {}, 10_000)\n`)
      const config = { SF_WEB_HOST: '127.0.0.1', SF_WEB_PORT: 1, SF_WORKSPACE_DIR: dir } as SfConfig
      try {
        assert.equal(await runServer({ config, serverJs, env: { PATH: process.env.PATH }, warnings: [] }), code)
      } finally {
        fs.rmSync(dir, { recursive: true, force: true })
      }
    })
  }
})
