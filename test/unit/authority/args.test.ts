// The flags of deploy-test and promote.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseDeployArgs } from '../../../lib/authority/args.ts'
import { ConfigError } from '../../../lib/errors.ts'

const digest = `sha256:${'a'.repeat(64)}`

test('the digest when given, and the probe timeout in milliseconds (120 s by default)', () => {
  assert.deepEqual(parseDeployArgs([]), { digest: undefined, probeTimeoutMs: 120_000, wait: false, waitTimeoutMs: 900_000 })
  assert.deepEqual(parseDeployArgs(['--digest', digest, '--probe-timeout', '30']), { digest, probeTimeoutMs: 30_000, wait: false, waitTimeoutMs: 900_000 })
})

test('refuses a probe timeout that is not whole seconds from 1 to 3600, and an unknown flag', () => {
  for (const bad of ['0', '3601', '1.5', 'soon']) {
    assert.throws(() => parseDeployArgs(['--probe-timeout', bad]), (e: unknown) => e instanceof ConfigError && e.message === `--probe-timeout ${JSON.stringify(bad)}: must be whole seconds from 1 to 3600`)
  }
  for (const bad of ['0', '86401', 'later']) {
    assert.throws(() => parseDeployArgs(['--wait-timeout', bad]), (e: unknown) => e instanceof ConfigError && e.message === `--wait-timeout ${JSON.stringify(bad)}: must be whole seconds from 1 to 86400`)
  }
  assert.throws(() => parseDeployArgs(['--force']), ConfigError)
})

test('--wait, and the wait timeout in milliseconds (900 s by default, up to a day)', () => {
  assert.deepEqual(parseDeployArgs(['--wait']), { digest: undefined, probeTimeoutMs: 120_000, wait: true, waitTimeoutMs: 900_000 })
  assert.deepEqual(parseDeployArgs(['--wait', '--wait-timeout', '86400']), { digest: undefined, probeTimeoutMs: 120_000, wait: true, waitTimeoutMs: 86_400_000 })
})

test('refuses a wait timeout that is not whole seconds from 1 to 86400, and a value given to --wait', () => {
  for (const bad of ['0', '86401', '2.5', 'a while', '']) {
    assert.throws(() => parseDeployArgs(['--wait', '--wait-timeout', bad]), (e: unknown) => e instanceof ConfigError && e.message === `--wait-timeout ${JSON.stringify(bad)}: must be whole seconds from 1 to 86400`)
  }
  assert.throws(() => parseDeployArgs(['--wait=yes']), ConfigError)
})
