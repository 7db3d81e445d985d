import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { isBindHost } from '../../lib/env-variables.ts'
import { dotenvOrigins, envWarnings, loadEnv, readConfig } from '../../lib/env.ts'
import { ConfigError } from '../../lib/errors.ts'

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-env-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** The ConfigError readConfig throws, or a failed assertion when it does not throw one. */
function configError(run: () => unknown): ConfigError {
  try {
    run()
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`)
    return error
  }
  assert.fail('expected a ConfigError, but nothing was thrown')
}

describe('readConfig', () => {
  test('fills every variable from its default when the environment sets none', (t) => {
    const checkout = path.join(tempDir(t), 'sf')
    fs.mkdirSync(checkout)
    const config = readConfig({}, { checkout, home: '/home/someone' })
    assert.deepEqual(config, {
      SF_HOME: '/home/someone/.sf',
      SF_WORKSPACE_DIR: checkout,
      SF_WORKSPACES_DIR: path.dirname(checkout),
      SF_WEB_HOST: '127.0.0.1',
      SF_WEB_PORT: 4000,
      SF_ALLOWED_HOSTS: undefined,
      SF_WEB_PROJECT_CWD: checkout,
      SF_WEB_BUILD_ID: undefined,
      SF_RELEASE_MANIFEST: path.join(checkout, 'dist', 'sf-release-manifest.json'),
      SF_RPC_SHUTDOWN_GRACE_MS: 600000,
      SF_ADMIN_TOKEN: undefined,
      SF_IMAGE_TAG: undefined,
      SF_IMAGE_DIGEST: undefined,
      SF_IMAGE_SOURCE: undefined,
      SF_REGISTRY: undefined,
      SF_REGISTRY_USER: undefined,
      SF_REGISTRY_PASSWORD: undefined,
      SF_TARGETS: path.join(checkout, 'deploy', 'targets.yaml'),
      SF_GIT_AUTHOR_NAME: 'sf-promote',
      SF_GIT_AUTHOR_EMAIL: 'sf-promote@localhost',
      SF_VEGA_NAME: 'sf-server-vega',
      SF_VEGA_BIND: '127.0.0.1',
      SF_VEGA_PORT: 4000,
      SF_VEGA_METRICS_PORT: 4003,
      SF_VEGA_PROBE_HOST: undefined,
      SF_VEGA_DRAIN_STOP_TIME: 610,
      SF_VEGA_ALLOW_PUBLIC: false,
      SF_VEGA_IMAGE: 'sf-source-server:local',
      SF_VEGA_FRONT: 'haproxy',
      SF_VEGA_FRONT_IMAGE: undefined,
      SF_BASE_IMAGE: undefined,
      SF_ANALYSIS_MAX_5XX_PERCENT: 5,
      SF_ANALYSIS_LATENCY_FACTOR: 3,
      SF_ANALYSIS_LATENCY_FLOOR_MS: 100,
      SF_ANALYSIS_MIN_REQUESTS: 20,
      SF_ANALYSIS_BASELINE_SECONDS: 60,
      SF_DEPLOY_MODE: 'push',
      SF_CONTROLLER_INTERVAL: 15,
      SF_DOCKER_SOCKET: '/var/run/docker.sock',
      SF_SOURCE_HOST_ROOT: undefined,
      SF_WORKSPACE_HOST_DIR: undefined,
      SF_WORKSPACES_HOST_DIR: undefined,
      SF_HOME_HOST_DIR: undefined,
    })
  })

  test('refuses a vega port with no room for the candidate above it, and a vega bind that is a name', (t) => {
    const checkout = tempDir(t)
    assert.throws(
      () => readConfig({ SF_VEGA_PORT: '65535', SF_VEGA_BIND: 'localhost' }, { checkout, home: '/home/someone' }),
      (e: ConfigError) =>
        e.problems.some((p) => p.startsWith('SF_VEGA_PORT="65535": must be a whole number from 1 to 65534')) &&
        e.problems.some((p) => p.startsWith('SF_VEGA_BIND="localhost": must be an IP address')),
    )
  })

  test("refuses a metrics port that is not a port, and leaves it unset where SF_VEGA_PORT + 3 is past 65535", (t) => {
    const checkout = tempDir(t)
    const error = configError(() => readConfig({ SF_VEGA_METRICS_PORT: '4003x' }, { checkout, home: '/home/someone' }))
    assert.deepEqual(error.problems, ['SF_VEGA_METRICS_PORT="4003x": must be a whole number from 1 to 65535'])
    assert.equal(readConfig({ SF_VEGA_PORT: '65533' }, { checkout, home: '/h' }).SF_VEGA_METRICS_PORT, undefined)
    assert.equal(readConfig({ SF_VEGA_PORT: '4100', SF_VEGA_METRICS_PORT: '9101' }, { checkout, home: '/h' }).SF_VEGA_METRICS_PORT, 9101)
  })

  test('refuses a registry with a scheme or a tag, and a relative targets file, naming each', (t) => {
    const checkout = tempDir(t)
    const error = configError(() =>
      readConfig({ SF_REGISTRY: 'https://forgejo.example/sf', SF_TARGETS: 'deploy/targets.yaml' }, { checkout, home: '/home/someone' }),
    )
    assert.deepEqual(
      error.problems.map((p) => p.slice(0, p.indexOf(':', p.indexOf('"', p.indexOf('"') + 1)))),
      ['SF_REGISTRY="https://forgejo.example/sf"', 'SF_TARGETS="deploy/targets.yaml"'],
    )
    assert.deepEqual(readConfig({ SF_REGISTRY: '127.0.0.1:5000/sf' }, { checkout, home: '/h' }).SF_REGISTRY, '127.0.0.1:5000/sf')
  })

  test('reads the manifest of a pinned build from dist/releases', (t) => {
    const checkout = tempDir(t)
    const config = readConfig({ SF_WEB_BUILD_ID: 'b1' }, { checkout, home: '/home/someone' })
    assert.equal(config.SF_RELEASE_MANIFEST, path.join(checkout, 'dist', 'releases', 'b1.json'))
  })

  test('takes given values over the defaults and converts numbers', (t) => {
    const checkout = tempDir(t)
    const workspace = path.join(checkout, 'ws')
    fs.mkdirSync(workspace)
    const config = readConfig(
      { SF_WORKSPACE_DIR: workspace, SF_WEB_HOST: '::1', SF_WEB_PORT: '8080', SF_RPC_SHUTDOWN_GRACE_MS: '2500', SF_ADMIN_TOKEN: 'a'.repeat(32) },
      { checkout, home: '/home/someone' },
    )
    assert.equal(config.SF_WORKSPACE_DIR, workspace)
    assert.equal(config.SF_WORKSPACES_DIR, checkout)
    assert.equal(config.SF_WEB_PROJECT_CWD, workspace)
    assert.equal(config.SF_WEB_HOST, '::1')
    assert.equal(config.SF_WEB_PORT, 8080)
    assert.equal(config.SF_RPC_SHUTDOWN_GRACE_MS, 2500)
    assert.equal(config.SF_ADMIN_TOKEN, 'a'.repeat(32))
  })

  test('reports every bad value at once, each with the variable, the value and what is allowed', (t) => {
    const checkout = tempDir(t)
    const error = configError(() =>
      readConfig(
        { SF_WEB_PORT: '70000', SF_WEB_HOST: '0.0.0.0.0', SF_RPC_SHUTDOWN_GRACE_MS: 'abc', SF_WORKSPACE_DIR: 'relative/dir' },
        { checkout, home: '/home/someone' },
      ),
    )
    assert.deepEqual(error.problems, [
      'SF_WORKSPACE_DIR="relative/dir": must be an absolute path',
      'SF_WEB_HOST="0.0.0.0.0": must be an IPv4 address (127.0.0.1), an IPv6 address (::1) or a host name (localhost)',
      'SF_WEB_PORT="70000": must be a whole number from 1 to 65535',
      'SF_RPC_SHUTDOWN_GRACE_MS="abc": must be a whole number of milliseconds from 1 to 86400000 (24 h)',
    ])
    for (const problem of error.problems) assert.ok(error.message.includes(problem), `message lacks: ${problem}`)
  })

  test('reports a workspace folder that does not exist', (t) => {
    const missing = path.join(tempDir(t), 'gone')
    const error = configError(() => readConfig({ SF_WORKSPACE_DIR: missing }, { checkout: '/', home: '/home/someone' }))
    assert.deepEqual(error.problems, [`SF_WORKSPACE_DIR=${JSON.stringify(missing)}: must be an existing directory`])
  })

  test('says when a bad value was the default rather than given', (t) => {
    const missingCheckout = path.join(tempDir(t), 'gone')
    const error = configError(() => readConfig({}, { checkout: missingCheckout, home: '/home/someone' }))
    assert.deepEqual(error.problems, [`SF_WORKSPACE_DIR=${JSON.stringify(missingCheckout)} (default: this checkout): must be an existing directory`])
  })

  test('names the flag a bad value came from when labels are given', (t) => {
    const error = configError(() =>
      readConfig({ SF_WEB_PORT: '70000', SF_WEB_HOST: 'bad host' }, { checkout: tempDir(t), home: '/home/someone' }, { SF_WEB_PORT: { flag: '--port' } }),
    )
    assert.deepEqual(error.problems, [
      'SF_WEB_HOST="bad host": must be an IPv4 address (127.0.0.1), an IPv6 address (::1) or a host name (localhost)',
      '--port "70000" (SF_WEB_PORT): must be a whole number from 1 to 65535',
    ])
  })

  test('does not report variables whose default depends on a bad one', () => {
    const error = configError(() => readConfig({ SF_WORKSPACE_DIR: 'relative' }, { checkout: '/', home: '/home/someone' }))
    assert.equal(error.problems.length, 1)
    assert.match(error.problems[0]!, /^SF_WORKSPACE_DIR=/)
    assert.doesNotMatch(error.message, /SF_WORKSPACES_DIR|SF_WEB_PROJECT_CWD/)
  })

  test('still reports a dependent variable that was given a bad value of its own', () => {
    const error = configError(() =>
      readConfig({ SF_WORKSPACE_DIR: 'relative', SF_WORKSPACES_DIR: 'also-relative' }, { checkout: '/', home: '/home/someone' }),
    )
    assert.deepEqual(error.problems, ['SF_WORKSPACE_DIR="relative": must be an absolute path', 'SF_WORKSPACES_DIR="also-relative": must be an absolute path'])
  })

  test('treats an empty value as unset', (t) => {
    const checkout = tempDir(t)
    const config = readConfig({ SF_WEB_PORT: '', SF_ADMIN_TOKEN: '' }, { checkout, home: '/home/someone' })
    assert.equal(config.SF_WEB_PORT, 4000)
    assert.equal(config.SF_ADMIN_TOKEN, undefined)
  })
})

describe('isBindHost', () => {
  const cases: [string, boolean][] = [
    ['127.0.0.1', true],
    ['0.0.0.0', true],
    ['::1', true],
    ['::', true],
    ['fe80::1', true],
    ['localhost', true],
    ['example.com', true],
    ['web-1.internal', true],
    ['0.0.0.0.0', false],
    ['999.1.1.1', false],
    ['1.2.3', false],
    ['host.123', false],
    ['-leading-dash', false],
    ['under_score', false],
    ['has space', false],
    ['', false],
    [`${'a'.repeat(64)}.com`, false],
  ]
  for (const [host, expected] of cases) {
    test(`${expected ? 'accepts' : 'rejects'} ${JSON.stringify(host)}`, () => {
      assert.equal(isBindHost(host), expected)
    })
  }
})

describe('loadEnv', () => {
  test('uses the values from the checkout .env file', (t) => {
    const checkout = tempDir(t)
    fs.writeFileSync(path.join(checkout, '.env'), 'SF_WEB_PORT=5000\nSF_IMAGE_TAG="registry/sf:1.0.0"\n')
    const env = loadEnv({ OTHER: 'x' }, checkout)
    assert.equal(env.SF_WEB_PORT, '5000')
    assert.equal(env.SF_IMAGE_TAG, 'registry/sf:1.0.0')
    assert.equal(env.OTHER, 'x')
  })

  test('lets the environment win over the .env file', (t) => {
    const checkout = tempDir(t)
    fs.writeFileSync(path.join(checkout, '.env'), 'SF_WEB_PORT=5000\nSF_WEB_HOST=localhost\n')
    const env = loadEnv({ SF_WEB_PORT: '6000' }, checkout)
    assert.equal(env.SF_WEB_PORT, '6000')
    assert.equal(env.SF_WEB_HOST, 'localhost')
  })

  test('works without a .env file', (t) => {
    const checkout = tempDir(t)
    assert.deepEqual(loadEnv({ SF_WEB_PORT: '6000' }, checkout), { SF_WEB_PORT: '6000' })
  })

  test('does not change the environment object it is given', (t) => {
    const checkout = tempDir(t)
    fs.writeFileSync(path.join(checkout, '.env'), 'SF_WEB_PORT=5000\n')
    const given = { OTHER: 'x' }
    loadEnv(given, checkout)
    assert.deepEqual(given, { OTHER: 'x' })
  })
})

describe('hardened rules', () => {
  test('names the variable and the rule for a relative *_HOST_DIR or SF_SOURCE_HOST_ROOT', (t) => {
    const checkout = tempDir(t)
    const error = configError(() =>
      readConfig({ SF_SOURCE_HOST_ROOT: 'rel', SF_WORKSPACE_HOST_DIR: 'rel', SF_WORKSPACES_HOST_DIR: 'rel', SF_HOME_HOST_DIR: 'rel' }, { checkout, home: checkout }),
    )
    assert.deepEqual(error.problems, [
      'SF_SOURCE_HOST_ROOT="rel": must be an absolute path',
      'SF_WORKSPACE_HOST_DIR="rel": must be an absolute path',
      'SF_WORKSPACES_HOST_DIR="rel": must be an absolute path',
      'SF_HOME_HOST_DIR="rel": must be an absolute path',
    ])
  })

  test('refuses an SF_HOME that is a file', (t) => {
    const checkout = tempDir(t)
    const file = path.join(checkout, 'not-a-folder')
    fs.writeFileSync(file, '')
    const error = configError(() => readConfig({ SF_HOME: file }, { checkout, home: checkout }))
    assert.deepEqual(error.problems, [`SF_HOME=${JSON.stringify(file)}: must be a folder (or not exist yet, to be created), but it is a file: move the file away or point SF_HOME elsewhere`])
  })

  test('reads SF_ALLOWED_HOSTS as a comma-separated list of host names, and refuses anything else', (t) => {
    const checkout = tempDir(t)
    assert.deepEqual(readConfig({ SF_ALLOWED_HOSTS: 'sf.example.com, .tail.example' }, { checkout, home: checkout }).SF_ALLOWED_HOSTS, ['sf.example.com', '.tail.example'])
    const error = configError(() => readConfig({ SF_ALLOWED_HOSTS: 'ok.example,bad host' }, { checkout, home: checkout }))
    assert.deepEqual(error.problems, ['SF_ALLOWED_HOSTS="ok.example,bad host": must be host names separated by commas (sf.example.com, or .example.com for every name under it); "bad host" is not one'])
  })
})

describe('loadEnv and envWarnings, hardened', () => {
  test('refuses a .env that is a directory, saying so and how to fix it', (t) => {
    const checkout = tempDir(t)
    fs.mkdirSync(path.join(checkout, '.env'))
    const error = configError(() => loadEnv({}, checkout))
    assert.equal(error.message, `${path.join(checkout, '.env')} is a directory: .env must be a file of NAME=value lines; move the directory away`)
  })

  test('takes only SF_* variables from the .env file, so nothing else reaches the web host', (t) => {
    const checkout = tempDir(t)
    fs.writeFileSync(path.join(checkout, '.env'), 'NODE_OPTIONS=--bogus-flag\nSF_WEB_PORT=5000\n')
    const env = loadEnv({ PATH: '/usr/bin' }, checkout)
    assert.deepEqual(env, { SF_WEB_PORT: '5000', PATH: '/usr/bin' })
  })

  test('warns about other names in .env and about SF_* names it does not know, naming the closest one', (t) => {
    const checkout = tempDir(t)
    fs.writeFileSync(path.join(checkout, '.env'), 'NODE_OPTIONS=--bogus-flag\nSF_WEB_PRT=5000\n')
    assert.deepEqual(envWarnings({ SF_ADMN_TOKEN: 'x', SF_VERBOSE: '1', SF_QQQQQQQQQQQQQQQQQ: '1', PATH: '/usr/bin' }, checkout), [
      `${path.join(checkout, '.env')}: NODE_OPTIONS is ignored: .env holds SF_* variables only; set it in the environment if the server needs it`,
      'SF_WEB_PRT (from .env) is not a variable SF reads: did you mean SF_WEB_PORT?',
      'SF_ADMN_TOKEN is not a variable SF reads: did you mean SF_ADMIN_TOKEN?',
      'SF_QQQQQQQQQQQQQQQQQ is not a variable SF reads: see the configuration table in README.md',
    ])
  })
})

describe('secrets and long values in problems', () => {
  test('never shows the value of a secret variable, only its length', (t) => {
    const checkout = tempDir(t)
    const error = configError(() =>
      readConfig({ SF_ADMIN_TOKEN: 'fifteen-chars!!', SF_REGISTRY_USER: 'who:hunter2', SF_REGISTRY_PASSWORD: 'p'.repeat(10_000) }, { checkout, home: checkout }),
    )
    assert.deepEqual(error.problems, [
      'SF_ADMIN_TOKEN=(15 characters, not shown): must be at least 16 characters with no spaces (try: openssl rand -hex 32)',
      'SF_REGISTRY_USER=(11 characters, not shown): must be a user name without spaces or colons',
      'SF_REGISTRY_PASSWORD=(10000 characters, not shown): must be at most 8192 characters',
    ])
    assert.doesNotMatch(error.message, /fifteen|hunter2|ppp/)
  })

  test('shows only a short prefix of a long bad value, with its length', (t) => {
    const checkout = tempDir(t)
    const error = configError(() => readConfig({ SF_WEB_BUILD_ID: '!'.repeat(500), SF_IMAGE_TAG: 'x'.repeat(1_000_000) }, { checkout, home: checkout }))
    assert.deepEqual(error.problems, [
      `SF_WEB_BUILD_ID="${'!'.repeat(40)}"… (500 characters): must be a build id as under dist/web/builds/`,
      `SF_IMAGE_TAG="${'x'.repeat(40)}"… (1000000 characters): must be at most 8192 characters`,
    ])
  })

  test('bounds SF_ALLOWED_HOSTS by its size and by the number of names, before anything starts', (t) => {
    const checkout = tempDir(t)
    const huge = Array.from({ length: 300_000 }, (_, i) => `h${i}.example`).join(',')
    const many = Array.from({ length: 300 }, (_, i) => `h${i}.example`).join(',')
    const error = configError(() => readConfig({ SF_ALLOWED_HOSTS: huge }, { checkout, home: checkout }))
    assert.match(error.problems[0]!, new RegExp(`^SF_ALLOWED_HOSTS="h0\\.example,h1\\.example,[^"]*"… \\(${huge.length} characters\\): must be at most 8192 characters$`))
    assert.deepEqual(configError(() => readConfig({ SF_ALLOWED_HOSTS: many }, { checkout, home: checkout })).problems.map((p) => p.slice(p.indexOf(': ') + 2)), [
      'must be at most 256 host names (300 given)',
    ])
    assert.ok(error.message.length < 400, `the message is ${error.message.length} characters long`)
  })

  test('names the .env file a bad value came from, and a flag only when the flag gave it', (t) => {
    const checkout = tempDir(t)
    const file = path.join(checkout, '.env')
    const error = configError(() =>
      readConfig({ SF_WEB_PORT: '70000', SF_WEB_HOST: 'bad host' }, { checkout, home: checkout }, { SF_WEB_PORT: { file }, SF_WEB_HOST: { flag: '--host' } }),
    )
    assert.deepEqual(error.problems, [
      '--host "bad host" (SF_WEB_HOST): must be an IPv4 address (127.0.0.1), an IPv6 address (::1) or a host name (localhost)',
      `SF_WEB_PORT="70000" (from ${file}): must be a whole number from 1 to 65535`,
    ])
  })
})

describe('the .env file, bounded', () => {
  test('refuses a NUL byte in a value without printing the value', (t) => {
    const checkout = tempDir(t)
    fs.writeFileSync(path.join(checkout, '.env'), 'SF_WEB_PORT=4000\nSF_REGISTRY_PASSWORD=hunter2\0tail\n')
    const error = configError(() => loadEnv({}, checkout))
    assert.equal(error.message, `${path.join(checkout, '.env')}: SF_REGISTRY_PASSWORD holds a NUL byte, which no environment variable can: fix that line`)
  })

  test('refuses a .env larger than 256 KiB, before parsing it', (t) => {
    const checkout = tempDir(t)
    fs.writeFileSync(path.join(checkout, '.env'), `SF_ALLOWED_HOSTS=${'a.example,'.repeat(30_000)}\n`)
    const error = configError(() => loadEnv({}, checkout))
    assert.match(error.message, /\.env is 300018 bytes: at most 262144 \(256 KiB\); it holds SF_\* variables only, so trim it$/)
  })

  test('names where each .env value came from, for readConfig', (t) => {
    const checkout = tempDir(t)
    fs.writeFileSync(path.join(checkout, '.env'), 'SF_WEB_PORT=5000\nSF_WEB_HOST=localhost\nOTHER=1\n')
    assert.deepEqual(dotenvOrigins({ SF_WEB_HOST: '::1' }, checkout), { SF_WEB_PORT: { file: path.join(checkout, '.env') } })
  })

  test('names an unknown variable of 100000 characters by a short prefix only', (t) => {
    const checkout = tempDir(t)
    const name = `SF_${'Q'.repeat(100_000)}`
    fs.writeFileSync(path.join(checkout, '.env'), `${name}=1\n`)
    assert.deepEqual(envWarnings({}, checkout), [`SF_${'Q'.repeat(37)}… (100003 characters) (from .env) is not a variable SF reads: see the configuration table in README.md`])
  })
})
