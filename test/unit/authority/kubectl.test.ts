import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { currentImageArgs, rolloutStatusArgs, rolloutUndoArgs, setImageArgs } from '../../../lib/authority/kubectl.ts'
import type { KubectlTarget } from '../../../lib/authority/targets.ts'

const target: KubectlTarget = {
  kind: 'kubernetes',
  context: 'k3s',
  namespace: 'sf-test',
  deployment: 'sf-server',
  container: 'sf-server',
  url: 'http://sf-server.sf-test:4000',
  rolloutTimeoutSeconds: 900,
}
const digest = `sha256:${'ab'.repeat(32)}`
const ref = `registry.example/sf/sf-server@${digest}`

describe('the kubectl calls of a kubernetes target', () => {
  test('sets the image by digest and SF_IMAGE_DIGEST in one patch of the pod template, in the target context and namespace', () => {
    const args = setImageArgs(target, { ref, digest })
    assert.deepEqual(args.slice(0, -1), ['--context', 'k3s', '--namespace', 'sf-test', 'patch', 'deployment', 'sf-server', '--type', 'strategic', '--patch'])
    assert.deepEqual(JSON.parse(args.at(-1)!), {
      spec: { template: { spec: { containers: [{ name: 'sf-server', image: ref, env: [{ name: 'SF_IMAGE_DIGEST', value: digest }] }] } } },
    })
  })

  test('waits for the rollout to the target timeout, undoes it, and reads the current image', () => {
    assert.deepEqual(rolloutStatusArgs(target), ['--context', 'k3s', '--namespace', 'sf-test', 'rollout', 'status', 'deployment/sf-server', '--timeout=900s'])
    assert.deepEqual(rolloutUndoArgs(target), ['--context', 'k3s', '--namespace', 'sf-test', 'rollout', 'undo', 'deployment/sf-server'])
    assert.deepEqual(currentImageArgs(target), [
      '--context',
      'k3s',
      '--namespace',
      'sf-test',
      'get',
      'deployment',
      'sf-server',
      '--output',
      'jsonpath={.spec.template.spec.containers[?(@.name=="sf-server")].image}',
    ])
  })
})
