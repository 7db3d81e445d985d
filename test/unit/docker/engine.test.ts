import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { dockerInvocation, needsBuildxPlugin } from '../../../lib/docker/engine.ts'
import { CommandError } from '../../../lib/errors.ts'

describe('dockerInvocation', () => {
  const env = { PATH: '/usr/bin', DOCKER_HOST: 'unix:///var/run/docker.sock' }

  test('runs docker itself with the environment unchanged', () => {
    assert.deepEqual(dockerInvocation(['version'], { env }), { command: 'docker', args: ['version'], env })
  })

  test('turns BuildKit on for builds, and off when asked', () => {
    assert.deepEqual(dockerInvocation(['build', '.'], { env }).env, { ...env, DOCKER_BUILDKIT: '1' })
    assert.deepEqual(dockerInvocation(['build', '.'], { env: { ...env, DOCKER_BUILDKIT: '0' } }).env, { ...env, DOCKER_BUILDKIT: '1' })
    assert.deepEqual(dockerInvocation(['build', '.'], { env, buildkit: false }).env, { ...env, DOCKER_BUILDKIT: '0' })
  })

  test('bounds a call with a timeout by running docker under coreutils timeout', () => {
    assert.deepEqual(dockerInvocation(['version', '--format', '{{.Server.Version}}'], { env, timeoutMs: 2500 }), {
      command: 'timeout',
      args: ['--kill-after=2s', '2.5s', 'docker', 'version', '--format', '{{.Server.Version}}'],
      env,
    })
  })
})

describe('needsBuildxPlugin', () => {
  test('recognises the error of a CLI whose BuildKit needs the missing buildx plugin', () => {
    const output = 'ERROR: BuildKit is enabled but the buildx component is missing or broken.\n       Install the buildx component to build images with BuildKit:\n'
    assert.equal(needsBuildxPlugin(new CommandError('docker build exited with 1', 1, output)), true)
  })

  test('is false for other build failures and for other errors', () => {
    assert.equal(needsBuildxPlugin(new CommandError('docker build exited with 1', 1, 'no space left on device')), false)
    assert.equal(needsBuildxPlugin(new Error('buildx component is missing')), false)
  })
})
