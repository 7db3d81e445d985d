// The flags of npm run bench:controller: defaults, each flag in its range, and the usage on a bad one.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { parseControllerBenchArgs } from '../../../lib/bench/controller-args.ts'
import { ConfigError } from '../../../lib/errors.ts'

describe('parseControllerBenchArgs', () => {
  test('with no flag: fleets of 1, 2 and 4 hosts every 15 s, one host every 2 s, 20 idle checks', () => {
    assert.deepEqual(parseControllerBenchArgs([]), { hosts: [1, 2, 4], intervalS: 15, fastIntervalS: 2, idleChecks: 20 })
  })

  test('takes the sizes as a list, and --fast-interval 0 leaves the fast fleet out', () => {
    assert.deepEqual(parseControllerBenchArgs(['--hosts', '2, 3', '--interval', '5', '--fast-interval', '0', '--idle-checks', '10']), { hosts: [2, 3], intervalS: 5, fastIntervalS: null, idleChecks: 10 })
  })

  test('refuses a size out of range, a bad number and an unknown flag, each with the usage', () => {
    for (const args of [['--hosts', '1,9'], ['--interval', '1.5'], ['--idle-checks', '0'], ['--nope']]) {
      assert.throws(() => parseControllerBenchArgs(args), (error: unknown) => error instanceof ConfigError && /usage: npm run bench:controller/.test(error.message), args.join(' '))
    }
  })
})
