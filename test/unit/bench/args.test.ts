// The flags of the benchmarks: defaults, ranges, and --steady-s only where there are steady runs.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseBenchArgs } from '../../../lib/bench/args.ts'
import { ConfigError } from '../../../lib/errors.ts'

const upgrade = (args: string[]) => parseBenchArgs(args, 'bench:upgrade', { slowWhen: 'the switch starts', steady: true })
const front = (args: string[]) => parseBenchArgs(args, 'bench:front', { slowWhen: 'the reload or the replace starts', steady: false })

test('takes the defaults and every flag in range', () => {
  assert.deepEqual(upgrade([]), { clients: 8, slowRequests: 4, slowHoldMs: 3000, steadySeconds: 10 })
  assert.deepEqual(upgrade(['--clients', '16', '--slow', '8', '--slow-ms', '5000', '--steady-s', '30']), { clients: 16, slowRequests: 8, slowHoldMs: 5000, steadySeconds: 30 })
})

test('refuses a value out of range with the usage of its own script', () => {
  assert.throws(() => upgrade(['--clients', '0']), (e: unknown) => e instanceof ConfigError && /^--clients "0": must be a whole number from 1 to 256\nusage: npm run bench:upgrade /.test(e.message))
  assert.throws(() => front(['--slow', 'x']), (e: unknown) => e instanceof ConfigError && /--slow "x": .*\nusage: npm run bench:front .*held requests in flight when the reload or the replace starts/s.test(e.message))
})

test('bench:front has no steady runs, so no --steady-s', () => {
  assert.throws(() => front(['--steady-s', '5']), (e: unknown) => e instanceof ConfigError && /steady-s/.test(e.message) && !/--steady-s S/.test(e.message))
})
