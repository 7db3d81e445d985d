// A docker target seen as vega's front machinery sees it, and the checks that refuse one before anything changes.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, test, type TestContext } from 'node:test'
import { dockerTargetProblems, targetContext } from '../../../lib/authority/docker-target.ts'
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

const target: DockerTarget = { kind: 'docker', name: 'sf-test', port: 4100, bind: '127.0.0.1' }

describe('a docker target', () => {
  test("gives the front its name, port and bind, and a state folder of its own under SF_HOME", (t) => {
    const config = configFor(t, { SF_VEGA_NAME: 'sf-server-vega', SF_VEGA_PORT: '4000', SF_VEGA_DRAIN_STOP_TIME: '620', SF_VEGA_FRONT: 'none' })
    const ctx = targetContext({ root: '/opt/sf', env: { PATH: '/usr/bin' }, config, progress: createProgress(() => {}), target })
    assert.deepEqual(
      [ctx.config.SF_VEGA_NAME, ctx.config.SF_VEGA_PORT, ctx.config.SF_VEGA_BIND, ctx.config.SF_HOME, ctx.config.SF_VEGA_FRONT, ctx.config.SF_VEGA_DRAIN_STOP_TIME],
      ['sf-test', 4100, '127.0.0.1', '/home/deploy/.sf/targets/sf-test', 'haproxy', 620],
    )
    assert.deepEqual(ctx.env, { PATH: '/usr/bin' })
    const remote = targetContext({ root: '/opt/sf', env: {}, config, progress: createProgress(() => {}), target: { ...target, host: 'unix:///run/other.sock' } })
    assert.deepEqual(remote.env, { DOCKER_HOST: 'unix:///run/other.sock' })
  })

  test('on this machine, with the defaults, can be rolled', (t) => {
    assert.deepEqual(dockerTargetProblems(target, 'test', configFor(t)), [])
    assert.deepEqual(dockerTargetProblems({ ...target, host: 'unix:///var/run/docker.sock' }, 'test', configFor(t)), [])
  })

  test("on another machine's engine is refused: its front's admin socket is not here", (t) => {
    for (const host of ['ssh://deploy@sf.example', 'tcp://10.0.0.5:2376']) {
      assert.deepEqual(dockerTargetProblems({ ...target, host }, 'prod', configFor(t)), [
        `targets.prod.host: ${host} is another machine's engine: the switch goes through the front's admin socket, a file on the engine's machine that cannot be reached from here; run npm run promote on that machine with host unset`,
      ])
    }
  })

  test('names every other problem at once: the socket path, a public bind, a stop time under the drain', (t) => {
    const config = configFor(t, { SF_HOME: `/home/deploy/${'x'.repeat(60)}`, SF_VEGA_DRAIN_STOP_TIME: '600' })
    const problems = dockerTargetProblems({ ...target, bind: '0.0.0.0' }, 'test', config)
    assert.equal(problems.length, 3, problems.join('\n'))
    assert.match(problems[0]!, /^targets\.test\.name: the front's admin socket would be \/home\/deploy\/x+\/targets\/sf-test\/vega\/sf-test\/front\/admin\.sock, 1\d\d bytes, over the 107 .*set SF_HOME to a shorter folder/)
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
    assert.deepEqual(problems('name: sf-test, port: 4200'), ["targets.prod.name: sf-test is test's name too, on the same engine: give each target its own container name"])
    assert.deepEqual(problems('name: sf-prod, port: 4102'), [
      "targets.prod.port: 4102 is within 2 of test's 4100 on the same engine: each target holds its port and the next two; move one at least 3 away",
    ])
    assert.deepEqual(problems('name: sf-prod, port: 4103'), [])
    assert.deepEqual(problems('name: sf-test, port: 4100, host: "ssh://deploy@prod.example"'), [])
    assert.deepEqual(problems('name: sf-prod, port: 65534'), ['targets.prod.port: must be 65533 or lower: the servers behind the front publish the next two ports for their own probes'])
  })
})
