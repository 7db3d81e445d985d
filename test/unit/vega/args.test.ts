// The flags of docker:vega:upgrade and :rollback.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ConfigError } from '../../../lib/errors.ts'
import { parseUpgradeArgs, upgradeUsage } from '../../../lib/vega/args.ts'

function configError(argv: string[]): ConfigError {
  try {
    parseUpgradeArgs(argv)
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`)
    return error
  }
  assert.fail(`expected a ConfigError for ${argv.join(' ')}, but the flags were accepted`)
}

describe('parseUpgradeArgs', () => {
  test('without flags: human output, a real run, refuse a held lock, 90 s for the probes', () => {
    assert.deepEqual(parseUpgradeArgs([]), { json: false, dryRun: false, lockWaitMs: 0, probeDeadlineMs: 90_000, settleMs: 5000, canary: [], stepMs: 30_000, eventsFile: undefined, container: undefined })
  })

  test('reads every flag, seconds as milliseconds', () => {
    assert.deepEqual(parseUpgradeArgs(['--json', '--dry-run', '--lock-wait', '30', '--probe-timeout=120', '--verbose', '--events-file', '/h/u.jsonl', '--container', 'sf-upgrader']), {
      json: true,
      dryRun: true,
      lockWaitMs: 30_000,
      probeDeadlineMs: 120_000,
      settleMs: 5000,
      canary: [],
      stepMs: 30_000,
      eventsFile: '/h/u.jsonl',
      container: 'sf-upgrader',
    })
    assert.throws(() => parseUpgradeArgs(['--events-file', 'u.jsonl']), /--events-file "u.jsonl": must be an absolute path/)
  })

  test('takes the bounds of each range', () => {
    assert.equal(parseUpgradeArgs(['--lock-wait', '0']).lockWaitMs, 0)
    assert.equal(parseUpgradeArgs(['--lock-wait', '86400']).lockWaitMs, 86_400_000)
    assert.equal(parseUpgradeArgs(['--probe-timeout', '1']).probeDeadlineMs, 1000)
    assert.equal(parseUpgradeArgs(['--settle', '0']).settleMs, 0)
    assert.throws(() => parseUpgradeArgs(['--settle', '1.5']), /--settle "1.5": must be a whole number of seconds from 0/)
  })

  test('refuses a value that is not whole seconds in range, naming the flag and the value', () => {
    for (const value of ['-1', 'abc', '999999', '1.5', '']) {
      assert.equal(
        configError([`--lock-wait=${value}`]).message,
        `--lock-wait ${JSON.stringify(value)}: must be a whole number of seconds from 0 to 86400`,
      )
    }
    assert.equal(configError(['--probe-timeout', '0']).message, '--probe-timeout "0": must be a whole number of seconds from 1 to 86400')
  })

  test('refuses a flag without its value, naming the flag', () => {
    for (const argv of [['--lock-wait', '-1'], ['--lock-wait']]) {
      const { message } = configError(argv)
      assert.match(message, /^Option '--lock-wait( <value>)?' argument (is ambiguous|missing)/)
      assert.ok(message.endsWith(`\n${upgradeUsage}`), 'the usage follows')
    }
  })

  test('refuses an unknown flag or an argument, with the usage', () => {
    const unknown = configError(['--force'])
    assert.equal(unknown.message, `Unknown option '--force'\n${upgradeUsage}`)
    assert.match(configError(['now']).message, /^Unexpected argument 'now'.*\nflags:\n/)
  })
})

describe('--canary and --step', () => {
  test('reads rising shares and the step in seconds', () => {
    const args = parseUpgradeArgs(['--canary', '10,50', '--step', '12'])
    assert.deepEqual([args.canary, args.stepMs], [[10, 50], 12_000])
    assert.deepEqual(parseUpgradeArgs(['--canary', '25']).canary, [25])
  })

  test('refuses shares that are not whole numbers from 1 to 99, that do not rise, and --step without --canary', () => {
    assert.throws(() => parseUpgradeArgs(['--canary', '10,100']), /--canary "10,100": must be up to 10 shares in %, each a whole number from 1 to 99.*"100" is not one/)
    assert.throws(() => parseUpgradeArgs(['--canary', '0']), /"0" is not one/)
    assert.throws(() => parseUpgradeArgs(['--canary', '10,x']), /"x" is not one/)
    assert.throws(() => parseUpgradeArgs(['--canary', '50,10']), /the shares must rise/)
    assert.throws(() => parseUpgradeArgs(['--step', '10']), /--step: .* needs --canary/)
    assert.throws(() => parseUpgradeArgs(['--canary', '10', '--step', '0']), /--step "0": must be a whole number of seconds from 1/)
  })
})
