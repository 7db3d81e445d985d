// The controller's pure parts: the refusal rules, the wait between checks, which target --target names,
// its container, and how a waiter judges a host.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { fleetTable, judgeHost } from '../../../lib/authority/fleet.ts'
import { parseTargets } from '../../../lib/authority/targets.ts'
import { parseControllerArgs } from '../../../lib/controller/cli.ts'
import { nextWaitMs } from '../../../lib/controller/loop.ts'
import { controllerContainer, findControllerTarget } from '../../../lib/controller/setup.ts'
import { afterChannelMove, blockingRefusal, refusalsKept, withRefusal, type ControllerState, type Refusal } from '../../../lib/server/controller-state.ts'
import { ConfigError } from '../../../lib/errors.ts'

const d = (c: string) => `sha256:${c.repeat(64)}`
const refusal = (digest: string, kind: Refusal['kind'], blocking: boolean): Refusal => ({ digest, at: '2026-11-30T12:00:00.000Z', kind, reason: 'the candidate failed', blocking })

describe('refusals', () => {
  test('a failed digest blocks until the channel names another one; moving back to it tries it again', () => {
    let refused = withRefusal([], refusal(d('a'), 'rolled-back', true))
    assert.equal(blockingRefusal({ refused }, d('a'))?.kind, 'rolled-back')
    assert.deepEqual(afterChannelMove(refused, d('a'), d('a')), refused, 'no move: still blocked')
    refused = afterChannelMove(refused, d('a'), d('b'))
    assert.equal(blockingRefusal({ refused }, d('a')), null)
    assert.equal(refused.length, 1, 'kept, for status')
    assert.equal(blockingRefusal({ refused: afterChannelMove([refusal(d('a'), 'rolled-back', true)], null, d('a')) }, d('a'))?.digest, d('a'), 'a first answer is no move')
  })

  test('an untested digest never blocks; one entry per digest and kind, at most refusalsKept', () => {
    assert.equal(blockingRefusal({ refused: [refusal(d('a'), 'untested', false)] }, d('a')), null)
    const twice = withRefusal(withRefusal([], refusal(d('a'), 'untested', false)), { ...refusal(d('a'), 'untested', false), at: 'later' })
    assert.deepEqual(twice.map((r) => r.at), ['later'])
    let many: Refusal[] = []
    for (let i = 0; i < refusalsKept + 5; i++) many = withRefusal(many, refusal(`sha256:${String(i).padStart(64, '0')}`, 'failed', true))
    assert.equal(many.length, refusalsKept)
    assert.equal(many.at(-1)!.digest, `sha256:${String(refusalsKept + 4).padStart(64, '0')}`)
  })
})

test('the wait between checks: the interval with up to 20% jitter, doubled per failed ask, at most 10 intervals', () => {
  assert.equal(nextWaitMs(15_000, 0, 0), 15_000)
  assert.equal(nextWaitMs(15_000, 0, 1), 18_000)
  assert.deepEqual([1, 2, 3, 4, 9].map((f) => nextWaitMs(1000, f, 0)), [2000, 4000, 8000, 10_000, 10_000])
})

describe('--target', () => {
  const targets = parseTargets(
    [
      'targets:',
      '  test: {kind: docker, name: sf-test, port: 4200}',
      '  prod:',
      '    - {kind: docker, name: sf-prod, port: 4100, host: "ssh://deploy@a.example", url: "http://a.example:4100"}',
      '    - {kind: docker, name: sf-prod, port: 4100, host: "ssh://deploy@b.example", url: "http://b.example:4100"}',
      '',
    ].join('\n'),
    'targets.yaml',
  )

  test('names a docker target by its container name, or by its place when a list names it twice; the channel is its environment', () => {
    assert.deepEqual([findControllerTarget(targets, 'sf-test', 'targets.yaml')].map((t) => [t.channel, t.path, t.target.port]), [['test', 'targets.test', 4200]])
    assert.equal(findControllerTarget(targets, 'prod.1', 'targets.yaml').target.url, 'http://b.example:4100')
    assert.equal(findControllerTarget(targets, 'targets.prod.0', 'targets.yaml').channel, 'prod')
  })

  test('an ambiguous or unknown name is refused with the names to choose from', () => {
    assert.throws(() => findControllerTarget(targets, 'sf-prod', 'targets.yaml'), (e: unknown) => e instanceof ConfigError && e.message === '--target sf-prod: targets.prod.0 and targets.prod.1 both name it: give the one this host is, such as --target prod.0')
    assert.throws(
      () => findControllerTarget(targets, 'sf-nope', 'targets.yaml'),
      (e: unknown) => e instanceof ConfigError && e.message === '--target sf-nope: targets.yaml has no docker target of that name; it has sf-test (test), sf-prod (prod.0), sf-prod (prod.1): name one of them, or add it to the file',
    )
  })

  test('is required, and the flags are checked', () => {
    assert.throws(() => parseControllerArgs([], 'controller'), /controller needs --target NAME/)
    assert.throws(() => parseControllerArgs(['--target', 'x', '--probe-timeout', '0'], 'controller'), /--probe-timeout "0": must be whole seconds from 1 to 3600/)
    assert.throws(() => parseControllerArgs(['--target', 'x', '--force'], 'controller'), ConfigError)
    assert.deepEqual(parseControllerArgs(['--target', 'x', '--once'], 'controller'), { target: 'x', installed: false, once: true, json: false, image: undefined, probeTimeoutMs: 120_000 })
  })
})

test("the controller's container: socket and SF_HOME at their own paths, host network and pids, the target's home volume, restarted unless stopped", () => {
  const target = parseTargets('targets:\n  test: {kind: docker, name: sf-test, port: 4200}\n  prod: {kind: docker, name: sf-prod, port: 4100}\n', 't').prod
  assert.ok(!Array.isArray(target) && target.kind === 'docker')
  const spec = controllerContainer({ name: 'sf-prod', image: 'sf-controller:abc', installed: { target, channel: 'prod', path: 'targets.prod' }, sfHome: '/srv/sf', dockerSocket: '/var/run/docker.sock', env: { SF_REGISTRY: 'r.example/sf' } })
  assert.equal(spec.name, 'sf-prod-controller')
  assert.deepEqual(spec.mounts, [
    { source: '/srv/sf', target: '/srv/sf' },
    { source: '/var/run/docker.sock', target: '/var/run/docker.sock' },
    { source: 'sf-prod-home', target: '/run/sf-target-home', volume: true },
  ])
  assert.deepEqual([spec.restart, spec.network?.name, spec.pid, spec.command], ['unless-stopped', 'host', 'host', ['--installed']])
  assert.equal(JSON.parse(spec.env.SF_CONTROLLER_TARGET!).target.name, 'sf-prod')
  assert.ok(!Object.keys(spec.env).some((k) => k.includes('PASSWORD')), 'no credentials in its environment')
})

describe('a host, as promote --wait sees it', () => {
  const expected = { commit: 'c'.repeat(40), buildId: 'b1', digest: d('e') }
  const version = (digest: string) => ({ manifest: { git: { commit: expected.commit }, webHost: { buildId: 'b1' } }, runningImage: { digest } })
  const controller = (over: Partial<ControllerState>): ControllerState => ({
    target: 'sf-prod',
    channel: 'prod',
    repository: 'r/sf-server',
    controller: { commit: null, pid: 1, startedAt: 't', intervalMs: 15_000 },
    channelDigest: expected.digest,
    serving: null,
    lastCheck: { at: 't1', outcome: 'serves prod', requests: 1, cpuMs: 1 },
    registry: { reachable: true, since: 't', error: null, nextCheckAt: null },
    rolling: null,
    lastRollout: null,
    refused: [],
    pulls: 0,
    ...over,
  })

  test('serving once its /api/version names the commit, build and digest', () => {
    assert.equal(judgeHost(version(expected.digest), null, expected).status, 'serving')
    assert.equal(judgeHost(version(d('0')), controller({}), expected).status, 'waiting')
    assert.equal(judgeHost(undefined, null, expected).detail, 'no controller reports here')
  })

  test('refused only by a blocking refusal of this digest; an untested one or a rollout is still waited for', () => {
    assert.equal(judgeHost(version(d('0')), controller({ refused: [refusal(expected.digest, 'rolled-back', true)] }), expected).status, 'refused')
    assert.equal(judgeHost(version(d('0')), controller({ refused: [refusal(expected.digest, 'rolled-back', false)] }), expected).status, 'waiting')
    assert.match(judgeHost(version(d('0')), controller({ refused: [refusal(expected.digest, 'untested', false)] }), expected).detail, /found no evidence/)
    assert.match(judgeHost(version(d('0')), controller({ rolling: { digest: expected.digest, since: 't2' } }), expected).detail, /rolling since t2/)
    assert.match(judgeHost(version(d('0')), controller({ registry: { reachable: false, since: 't', error: 'connection refused', nextCheckAt: null } }), expected).detail, /cannot reach the registry: connection refused/)
  })

  test('the table lines its columns up', () => {
    const table = fleetTable([
      { name: 'sf-prod-a', url: 'http://a:4100', status: 'serving', digest: d('e'), seconds: 12.5, detail: '' },
      { name: 'b', url: 'http://b:4100', status: 'waiting', digest: null, seconds: null, detail: '' },
    ])
    assert.equal(table, ['host       url            status   serves               after', `sf-prod-a  http://a:4100  serving  ${d('e').slice(0, 19)}  12.5 s`, 'b          http://b:4100  waiting  (none)               -'].join('\n'))
  })
})
