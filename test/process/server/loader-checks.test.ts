// The loader's checks of its checkout's .env, manifest and flags, run for real from a checkout of
// its own (the loader reads .env from the folder above its dist/), so this checkout is never touched.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { describe, test } from 'node:test'
import { fetchAnswer } from '../../../lib/probe.ts'
import { distPaths } from '../../../lib/paths.ts'
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

function runLoader(loader: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [loader, ...args], { env: { PATH: process.env.PATH, HOME: tempDir('home') }, timeout: 20_000 }, (error, _out, stderr) => resolve({ code: error ? Number(error.code) : 0, stderr }))
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
})
