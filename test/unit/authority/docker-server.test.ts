// A docker target's server is defined once (lib/authority/docker-server.ts) and rendered into docker run.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { targetServerSpec, type TargetServerInputs } from '../../../lib/authority/docker-server.ts'
import { runDetachedArgs } from '../../../lib/docker/args.ts'

const digest = `sha256:${'d'.repeat(64)}`
const inputs: TargetServerInputs = {
  name: 'sf-prod',
  ref: `forgejo.example:3000/sf/sf-server@${digest}`,
  digest,
  commit: '0123456789abcdef0123456789abcdef01234567',
  buildId: '20261127T101500Z-0123456789ab-beef',
  graceMs: 600000,
  stopTimeout: 610,
}

describe("a docker target's server", () => {
  test('renders into the exact docker run arguments: the image by digest behind the front, in its slot', () => {
    assert.deepEqual(runDetachedArgs(targetServerSpec(inputs, 'b', 4102)), [
      'run', '--detach', '--name', 'sf-prod-candidate', '--restart', 'no', '--stop-signal', 'SIGTERM', '--stop-timeout', '610',
      '--network', 'sf-prod-net', '--network-alias', 'sf-prod-slot-b',
      '--publish', '127.0.0.1:4102:4000',
      '--env', 'SF_HOME=/home/node/.sf', '--env', 'SF_RPC_SHUTDOWN_GRACE_MS=600000',
      '--env', `SF_IMAGE_TAG=forgejo.example:3000/sf/sf-server@${digest}`, '--env', `SF_IMAGE_DIGEST=${digest}`,
      '--mount', 'type=volume,source=sf-prod-home,target=/home/node/.sf',
      '--label', 'sf.role=sf-target', '--label', 'sf.target=sf-prod', '--label', 'sf.vega.slot=b',
      '--label', 'sf.commit=0123456789abcdef0123456789abcdef01234567', '--label', 'sf.build-id=20261127T101500Z-0123456789ab-beef',
      '--label', `sf.image-digest=${digest}`,
      `forgejo.example:3000/sf/sf-server@${digest}`,
    ])
  })

  test('runs the image by digest and its own command, as its own user: no tag, no command, no --user', () => {
    const spec = targetServerSpec(inputs, 'a', 4101)
    assert.match(spec.image, /@sha256:[0-9a-f]{64}$/)
    assert.deepEqual([spec.command, spec.user, spec.groupAdd], [[], undefined, []])
    assert.deepEqual(spec.network, { name: 'sf-prod-net', aliases: ['sf-prod-slot-a'] })
  })
})
