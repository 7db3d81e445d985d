import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { BuildError, ConfigError } from '../../../lib/errors.ts'
import { loaderUsage, planServer } from '../../../lib/server/loader.ts'

/** A checkout with an empty dist/: no web host is staged, so planning past validation fails. */
function emptyCheckout(t: { after: (fn: () => void) => void }): { checkout: string; distDir: string } {
  const checkout = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-loader-'))
  t.after(() => fs.rmSync(checkout, { recursive: true, force: true }))
  const distDir = path.join(checkout, 'dist')
  fs.mkdirSync(distDir)
  return { checkout, distDir }
}

describe('planServer', () => {
  test('rejects every bad flag at once, by flag name, before looking for the web host', async (t) => {
    const { distDir } = emptyCheckout(t)
    await assert.rejects(planServer(['server', '/nope', '--port', '70000', '--host', '0.0.0.0.0'], {}, distDir), (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`)
      assert.deepEqual(error.problems, [
        '<workspace> "/nope" (SF_WORKSPACE_DIR): must be an existing directory',
        '--host "0.0.0.0.0" (SF_WEB_HOST): must be an IPv4 address (127.0.0.1), an IPv6 address (::1) or a host name (localhost)',
        '--port "70000" (SF_WEB_PORT): must be a whole number from 1 to 65535',
      ])
      return true
    })
  })

  test('with good flags goes on to look for the staged web host', async (t) => {
    const { checkout, distDir } = emptyCheckout(t)
    await assert.rejects(planServer(['server', checkout, '--port', '4000'], {}, distDir), (error: unknown) => {
      assert.ok(error instanceof BuildError, `expected a BuildError, got ${String(error)}`)
      assert.match(error.message, /no staged web host at .*: run npm run build:web-host/)
      return true
    })
  })

  test('reads bad values from the checkout .env as well as the flags', async (t) => {
    const { checkout, distDir } = emptyCheckout(t)
    fs.writeFileSync(path.join(checkout, '.env'), 'SF_RPC_SHUTDOWN_GRACE_MS=soon\n')
    await assert.rejects(planServer(['server', checkout], {}, distDir), (error: unknown) => {
      assert.ok(error instanceof ConfigError)
      assert.deepEqual(error.problems, [`SF_RPC_SHUTDOWN_GRACE_MS="soon" (from ${path.join(checkout, '.env')}): must be a whole number of milliseconds from 1 to 86400000 (24 h)`])
      return true
    })
  })

  test('names a bad port from .env as from .env, from the environment as the variable, and from --port as the flag', async (t) => {
    const { checkout, distDir } = emptyCheckout(t)
    fs.writeFileSync(path.join(checkout, '.env'), 'SF_WEB_PORT=70000\nSF_WEB_HOST=bad host\n')
    const problems = async (argv: string[], env: Record<string, string>) =>
      planServer(['server', checkout, ...argv], env, distDir).then(
        () => assert.fail('expected a ConfigError'),
        (error: unknown) => (error as ConfigError).problems,
      )
    assert.deepEqual(await problems([], {}), [
      `SF_WEB_HOST="bad host" (from ${path.join(checkout, '.env')}): must be an IPv4 address (127.0.0.1), an IPv6 address (::1) or a host name (localhost)`,
      `SF_WEB_PORT="70000" (from ${path.join(checkout, '.env')}): must be a whole number from 1 to 65535`,
    ])
    assert.deepEqual(await problems(['--host', '127.0.0.1'], { SF_WEB_PORT: '70001' }), ['SF_WEB_PORT="70001": must be a whole number from 1 to 65535'])
    assert.deepEqual(await problems(['--host', '127.0.0.1', '--port', '70002'], {}), ['--port "70002" (SF_WEB_PORT): must be a whole number from 1 to 65535'])
  })

  const badCommands: [string, string[]][] = [
    ['a command other than server', ['start', '/tmp']],
    ['no workspace', ['server']],
    ['more than one workspace', ['server', '/a', '/b']],
    ['nothing at all', []],
  ]
  for (const [what, argv] of badCommands) {
    test(`rejects ${what} with the usage`, async (t) => {
      const { distDir } = emptyCheckout(t)
      await assert.rejects(planServer(argv, {}, distDir), (error: unknown) => {
        assert.ok(error instanceof ConfigError)
        assert.match(error.message, /^expected: server <workspace>; got: /)
        assert.ok(error.message.endsWith(loaderUsage), 'the usage is missing')
        return true
      })
    })
  }

  test('rejects an unknown flag with the usage', async (t) => {
    const { checkout, distDir } = emptyCheckout(t)
    await assert.rejects(planServer(['server', checkout, '--bogus'], {}, distDir), (error: unknown) => {
      assert.ok(error instanceof ConfigError)
      assert.match(error.message, /--bogus/)
      assert.ok(error.message.endsWith(loaderUsage), 'the usage is missing')
      return true
    })
  })

  test('returns null for --help, whatever else is given', async (t) => {
    const { distDir } = emptyCheckout(t)
    assert.equal(await planServer(['--help'], {}, distDir), null)
    assert.equal(await planServer(['server', '/nope', '--port', '70000', '--help'], {}, distDir), null)
  })
})
