// The controller's commands refuse bad input before anything runs: exit 2, a message naming the
// problem and the fix, and no state written. No engine or registry is needed for these.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { after, describe, test } from 'node:test'
import { repoRoot } from '../../../lib/paths.ts'
import { npmRun } from '../../support/npm.ts'
import { tempDir } from '../../support/server.ts'

async function npm(script: string, args: string[], env: Record<string, string>) {
  const call = npmRun(repoRoot, script, args, env)
  const code = await call.exited
  return { code, stdout: call.stdout(), stderr: call.stderr() }
}

describe('the controller commands refuse bad input, exit 2, and write nothing', () => {
  const dir = tempDir('controller-cli')
  const targets = path.join(dir, 'targets.yaml')
  fs.writeFileSync(targets, 'targets:\n  test: {kind: docker, name: sf-t, port: 4200}\n  prod:\n    - {kind: docker, name: sf-p, port: 4100}\n    - {kind: docker, name: sf-p, port: 4100, host: "ssh://deploy@b.example"}\n')
  const home = path.join(dir, 'home')
  const env = { SF_TARGETS: targets, SF_HOME: home, SF_REGISTRY: '127.0.0.1:9/sf' }
  after(() => fs.rmSync(dir, { recursive: true, force: true }))

  for (const script of ['controller', 'controller:install', 'controller:status']) {
    test(`${script} without --target says what to give`, async () => {
      const ran = await npm(script, [], env)
      assert.equal(ran.code, 2, ran.stderr)
      assert.match(ran.stderr, new RegExp(`error: ${script} needs --target NAME: the container name of a docker target in SF_TARGETS`))
    })
  }

  test('an unknown or ambiguous target is named, with the targets to choose from', async () => {
    const unknown = await npm('controller', ['--target', 'sf-x', '--once'], env)
    assert.equal(unknown.code, 2, unknown.stderr)
    assert.match(unknown.stderr, /error: --target sf-x: .* has no docker target of that name; it has sf-t \(test\), sf-p \(prod\.0\), sf-p \(prod\.1\)/)
    const ambiguous = await npm('controller:install', ['--target', 'sf-p'], env)
    assert.equal(ambiguous.code, 2, ambiguous.stderr)
    assert.match(ambiguous.stderr, /error: --target sf-p: targets\.prod\.0 and targets\.prod\.1 both name it: give the one this host is, such as --target prod\.0/)
  })

  test('no registry, or half of its credentials, is refused before the controller starts', async () => {
    const noRegistry = await npm('controller', ['--target', 'sf-t', '--once'], { ...env, SF_REGISTRY: '' })
    assert.equal(noRegistry.code, 2, noRegistry.stderr)
    assert.match(noRegistry.stderr, /cannot run the controller of targets\.test:\n\s+SF_REGISTRY is not set: set it to the registry npm run publish-image pushes to/)
    const half = await npm('controller', ['--target', 'prod.1', '--once'], { ...env, SF_REGISTRY_USER: 'ci' })
    assert.equal(half.code, 2, half.stderr)
    assert.match(half.stderr, /SF_REGISTRY_USER is set but SF_REGISTRY_PASSWORD is not: set both/)
    assert.equal(fs.existsSync(home), false, 'nothing was written under SF_HOME')
  })
})
