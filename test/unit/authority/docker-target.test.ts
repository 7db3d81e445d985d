// A docker target as the front serves it, and the checks that refuse one before anything changes.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, test, type TestContext } from 'node:test'
import { dockerTargetProblems, targetLockBusy, targetSite } from '../../../lib/authority/docker-target.ts'
import { parseTargets, type DockerTarget } from '../../../lib/authority/targets.ts'
import { readConfig, type Env, type SfConfig } from '../../../lib/env.ts'
import { ConfigError } from '../../../lib/errors.ts'
import { createProgress } from '../../../lib/progress.ts'

function configFor(t: TestContext, env: Env = {}): SfConfig {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-target-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const checkout = path.join(dir, 'sf')
  fs.mkdirSync(checkout)
  return readConfig({ SF_HOME: '/home/deploy/.sf', ...env }, { checkout, home: dir })
}

const target: DockerTarget = { kind: 'docker', name: 'sf-test', port: 4100, bind: '127.0.0.1', canary: [], step: 30 }

describe('a docker target', () => {
  test("gives the front its name, port, bind, the environment's drain time and front image, and a state folder of its own under SF_HOME", (t) => {
    const config = configFor(t, { SF_VEGA_NAME: 'sf-server-vega', SF_VEGA_PORT: '4000', SF_VEGA_DRAIN_STOP_TIME: '620', SF_VEGA_FRONT_IMAGE: 'reg.example/haproxy:2.8' })
    const site = targetSite({ env: { PATH: '/usr/bin' }, config, progress: createProgress(() => {}), target, which: 'test' })
    assert.deepEqual(
      [site.name, site.port, site.bind, site.home, site.drainStopSeconds, site.frontImage],
      ['sf-test', 4100, '127.0.0.1', '/home/deploy/.sf/targets/sf-test', 620, 'reg.example/haproxy:2.8'],
    )
    assert.deepEqual(site.env, { PATH: '/usr/bin' })
    const remote = targetSite({ env: {}, config, progress: createProgress(() => {}), target: { ...target, host: 'unix:///run/other.sock' }, which: 'test' })
    assert.deepEqual(remote.env, { DOCKER_HOST: 'unix:///run/other.sock' })
  })

  test('takes its drain time and front image from its own entry over the environment', (t) => {
    const config = configFor(t, { SF_VEGA_DRAIN_STOP_TIME: '620', SF_VEGA_FRONT_IMAGE: 'reg.example/haproxy:2.8' })
    const site = targetSite({ env: {}, config, progress: createProgress(() => {}), target: { ...target, drainStopTime: 700, frontImage: 'mirror.example/haproxy:3.0' }, which: 'prod' })
    assert.deepEqual([site.drainStopSeconds, site.frontImage], [700, 'mirror.example/haproxy:3.0'])
    assert.equal(targetSite({ env: {}, config: configFor(t), progress: createProgress(() => {}), target, which: 'test' }).frontImage, undefined)
  })

  test("tells its user deploy-test and promote and the target's own settings, never a vega command or variable", (t) => {
    const site = (which: 'test' | 'prod') => targetSite({ env: {}, config: configFor(t), progress: createProgress(() => {}), target, which })
    assert.deepEqual(site('test').words, {
      maker: 'deploy-test and promote',
      rename: 'rename targets.test',
      repair: 'docker rm -f sf-test sf-test-candidate sf-test-previous, then npm run deploy-test again',
      frontImage: 'targets.test.frontImage',
    })
    assert.equal(site('prod').words.repair, 'docker rm -f sf-test sf-test-candidate sf-test-previous, then npm run promote again')
    assert.equal(targetLockBusy('prod'), 'wait for it to finish, then run npm run promote again')
    for (const which of ['test', 'prod'] as const) {
      for (const words of [...Object.values(site(which).words), targetLockBusy(which)]) assert.doesNotMatch(words, /docker:vega|SF_VEGA_|--lock-wait/)
    }
  })

  test("refuses its own drain time when docker stop would cut the drain short, naming the target's field", (t) => {
    const config = configFor(t, { SF_RPC_SHUTDOWN_GRACE_MS: '600000' })
    assert.deepEqual(dockerTargetProblems({ ...target, drainStopTime: 600 }, 'prod', config), [
      'targets.prod.drainStopTime: 600: docker stop would kill the old server before its drain cap SF_RPC_SHUTDOWN_GRACE_MS=600000 ms; make it more than 600',
    ])
    assert.deepEqual(dockerTargetProblems({ ...target, drainStopTime: 601 }, 'prod', configFor(t, { SF_VEGA_DRAIN_STOP_TIME: '600' })), [], 'the entry wins over the environment')
  })

  test('accepts a drain time and a front image in its entry, and names a bad one by its path', () => {
    const parse = (extra: string) => {
      try {
        return { targets: parseTargets(`targets:\n  test: {kind: docker, name: sf-test, port: 4100, ${extra}}\n  prod: {kind: docker, name: sf-prod, port: 4200}\n`, 'targets.yaml'), problems: [] }
      } catch (error) {
        assert.ok(error instanceof ConfigError)
        return { targets: null, problems: error.problems }
      }
    }
    const good = parse('drainStopTime: 700, frontImage: "reg.example/haproxy:3.0"').targets?.test
    assert.ok(!Array.isArray(good))
    assert.ok(good?.kind === 'docker')
    assert.deepEqual([good.drainStopTime, good.frontImage], [700, 'reg.example/haproxy:3.0'])
    assert.deepEqual(parse('drainStopTime: 0').problems, ['targets.test.drainStopTime: must be a whole number of seconds from 1 to 86400'])
    assert.deepEqual(parse('drainStopTime: 1.5').problems, ['targets.test.drainStopTime: must be a whole number of seconds from 1 to 86400'])
    assert.deepEqual(parse('drainStopTime: "700"').problems, ['targets.test.drainStopTime: must be a whole number of seconds from 1 to 86400, written without quotes'])
    assert.deepEqual(parse('frontImage: "haproxy lts"').problems, ['targets.test.frontImage: must be an image reference such as haproxy:lts'])
  })

  test('on this machine, with the defaults, can be rolled', (t) => {
    assert.deepEqual(dockerTargetProblems(target, 'test', configFor(t)), [])
    assert.deepEqual(dockerTargetProblems({ ...target, host: 'unix:///var/run/docker.sock' }, 'test', configFor(t)), [])
  })

  test("on another machine's engine is refused: its front's admin socket is not here", (t) => {
    for (const host of ['ssh://deploy@sf.example', 'tcp://10.0.0.5:2376']) {
      assert.deepEqual(dockerTargetProblems({ ...target, host }, 'prod', configFor(t)), [
        `targets.prod.host: ${host} is another machine's engine: the switch goes through the front's admin socket, a file on the engine's machine that cannot be reached from here; run npm run promote on that machine with host unset, or install its controller there (npm run controller:install -- --target ${target.name}) and run promote --wait`,
      ])
    }
  })

  test('measures the longest socket path it reaches, each front\'s own admin-<id>.sock, not the admin.sock link', (t) => {
    // SF_HOME/targets/sf-test/vega/sf-test/front/admin.sock is 100 bytes here; admin-<14 characters>.sock is 115.
    const home = `/h/${'x'.repeat(100 - '/h/'.length - '/targets/sf-test/vega/sf-test/front/admin.sock'.length)}`
    const problems = dockerTargetProblems(target, 'test', configFor(t, { SF_HOME: home }))
    assert.deepEqual(problems.map((p) => /admin-x{14}\.sock, (\d+) bytes/.exec(p)?.[1]), ['115'])
  })

  test('names every other problem at once: the socket path, a public bind, a stop time under the drain', (t) => {
    const config = configFor(t, { SF_HOME: `/home/deploy/${'x'.repeat(60)}`, SF_VEGA_DRAIN_STOP_TIME: '600' })
    const problems = dockerTargetProblems({ ...target, bind: '0.0.0.0' }, 'test', config)
    assert.equal(problems.length, 3, problems.join('\n'))
    assert.match(problems[0]!, /^targets\.test\.name: the front's admin socket would be \/home\/deploy\/x+\/targets\/sf-test\/vega\/sf-test\/front\/admin-x{14}\.sock, 1\d\d bytes, over the 107 .*set SF_HOME to a shorter folder/)
    assert.match(problems[1]!, /^targets\.test\.bind: 0\.0\.0\.0 binds every interface: .*SF_VEGA_ALLOW_PUBLIC=1/)
    assert.match(problems[2]!, /^SF_VEGA_DRAIN_STOP_TIME=600: docker stop would kill the old server before its drain cap .* make it more than 600$/)
    assert.equal(dockerTargetProblems({ ...target, bind: '0.0.0.0' }, 'test', configFor(t, { SF_VEGA_ALLOW_PUBLIC: '1' })).length, 0)
  })

  test('test and prod on one engine need their own names and ports at least 3 apart', () => {
    const file = (prod: string) => `targets:\n  test: {kind: docker, name: sf-test, port: 4100}\n  prod: {kind: docker, ${prod}}\n`
    const problems = (prod: string) => {
      try {
        parseTargets(file(prod), 'targets.yaml')
        return []
      } catch (error) {
        assert.ok(error instanceof ConfigError)
        return error.problems
      }
    }
    assert.deepEqual(problems('name: sf-test, port: 4200'), ["targets.prod.name: sf-test is targets.test's name too, on the same engine: give each target its own container name"])
    assert.deepEqual(problems('name: sf-prod, port: 4102'), [
      "targets.prod.port: 4102 is within 2 of targets.test's 4100 on the same engine: each target holds its port and the next two; move one at least 3 away",
    ])
    assert.deepEqual(problems('name: sf-prod, port: 4103'), [])
    assert.deepEqual(problems('name: sf-test, port: 4100, host: "ssh://deploy@prod.example"'), [])
    assert.deepEqual(problems('name: sf-prod, port: 65534'), ['targets.prod.port: must be 65533 or lower: the servers behind the front publish the next two ports for their own probes'])
  })
})
