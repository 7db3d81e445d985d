// What --dry-run prints: the upgrade's steps with the exact docker commands each runs, and the
// candidate those commands start.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { formatPlan, frontUpgradePlan, upgradePlan, type PlanInputs } from '../../../lib/vega/plan.ts'
import { slotServerSpec } from '../../../lib/vega/slot-server.ts'
import { runDetachedArgs } from '../../../lib/docker/args.ts'
import { candidateSpec, vegaContainer, type VegaInputs } from '../../../lib/vega/container.ts'
import { vegaInputsOnVega } from '../../support/fixtures.ts'

const inputs: VegaInputs = { ...vegaInputsOnVega, image: 'sha256:4e1f' }

const planInputs: PlanInputs = {
  prod: vegaContainer(inputs),
  candidate: candidateSpec(inputs),
  lockFile: '/home/mhugo/.sf/vega/sf-server-vega/lock.json',
  runtimeImage: 'sf-source-server:local',
  dockerfile: '/home/mhugo/code/sf/docker/Dockerfile.source-server',
  prodUrl: 'http://100.64.0.7:4000',
  candidateUrl: 'http://100.64.0.7:4001',
}

/** The options every vega container shares, after its name, restart policy and port. */
const sharedRunOptions = (name: string) => [
  '--env', 'SF_WORKSPACE_DIR=/workspace', '--env', 'SF_WORKSPACES_DIR=/workspaces', '--env', 'SF_HOME=/root/.sf',
  '--env', 'SF_RPC_SHUTDOWN_GRACE_MS=600000', '--env', 'SF_SOURCE_HOST_ROOT=/home/mhugo/code/sf',
  '--env', 'SF_WORKSPACE_HOST_DIR=/home/mhugo/code/other-repo', '--env', 'SF_WORKSPACES_HOST_DIR=/home/mhugo/code',
  '--env', 'SF_HOME_HOST_DIR=/home/mhugo/.sf', '--env', `SF_VEGA_NAME=${name}`,
  '--env', 'SF_WEB_BUILD_ID=20261127T101500Z-0123456789ab-beef',
  '--mount', 'type=bind,source=/home/mhugo/code/sf,target=/opt/sf',
  '--mount', 'type=bind,source=/home/mhugo/code/other-repo,target=/workspace',
  '--mount', 'type=bind,source=/home/mhugo/code,target=/workspaces',
  '--mount', 'type=bind,source=/home/mhugo/code,target=/home/mhugo/code',
  '--mount', 'type=bind,source=/home/mhugo/.sf,target=/root/.sf',
  '--mount', 'type=bind,source=/var/run/docker.sock,target=/var/run/docker.sock',
  '--label', 'sf.role=vega', '--label', `sf.vega.name=${name}`,
  '--label', 'sf.build-id=20261127T101500Z-0123456789ab-beef', '--label', 'sf.commit=0123456789abcdef0123456789abcdef01234567',
  'sha256:4e1f',
  'node', '/opt/sf/dist/loader-0123456789ab.js', 'server', '/workspace', '--host', '0.0.0.0', '--port', '4000',
]

const probes = (url: string) => `${url}/api/healthz, /api/ready, /api/version (must be the new commit and build), /api/projects`

describe('upgradePlan', () => {
  test('lists every step in order with the exact docker commands it runs', () => {
    assert.deepEqual(upgradePlan(planInputs), [
      { step: 'lock', what: 'take /home/mhugo/.sf/vega/sf-server-vega/lock.json, or refuse while another upgrade holds it', commands: [] },
      { step: 'converge', what: 'remove a leftover sf-server-vega-candidate; restore sf-server-vega-previous if a killed run left it', commands: [] },
      { step: 'build', what: 'bundle dist/loader.js, next build into a new dist/web/builds/<new build>, write the manifest', commands: [] },
      {
        step: 'image',
        what: 'build the runtime image sf-source-server:local',
        commands: [[
          'build', '--file', '/home/mhugo/code/sf/docker/Dockerfile.source-server', '--tag', 'sf-source-server:local',
          '--build-arg', 'BASE_IMAGE=<base image>', '--label', 'sf.role=runtime', '<empty folder>',
        ]],
      },
      {
        step: 'candidate',
        what: 'start sf-server-vega-candidate',
        commands: [[
          'run', '--detach', '--name', 'sf-server-vega-candidate', '--restart', 'no', '--stop-signal', 'SIGTERM', '--stop-timeout', '610',
          '--group-add', '998', '--publish', '100.64.0.7:4001:4000',
          ...sharedRunOptions('sf-server-vega-candidate'),
        ]],
      },
      { step: 'probe candidate', what: probes('http://100.64.0.7:4001'), commands: [] },
      {
        step: 'drain prod',
        what: 'stop sf-server-vega, waiting up to 610s for its drain; keep it aside for rollback',
        commands: [
          ['stop', '--time', '610', 'sf-server-vega'],
          ['rename', 'sf-server-vega', 'sf-server-vega-previous'],
        ],
      },
      {
        step: 'prod',
        what: 'start the new sf-server-vega',
        commands: [[
          'run', '--detach', '--name', 'sf-server-vega', '--restart', 'unless-stopped', '--stop-signal', 'SIGTERM', '--stop-timeout', '610',
          '--group-add', '998', '--publish', '100.64.0.7:4000:4000',
          ...sharedRunOptions('sf-server-vega'),
        ]],
      },
      { step: 'probe prod', what: `${probes('http://100.64.0.7:4000')}; on failure restart the old sf-server-vega`, commands: [] },
      {
        step: 'clean up',
        what: 'remove the old prod and the candidate; remove staged builds nothing needs (npm run prune-builds, keeping the newest 5)',
        commands: [
          ['rm', '--force', 'sf-server-vega-previous'],
          ['rm', '--force', 'sf-server-vega-candidate'],
        ],
      },
    ])
  })
})

describe('formatPlan', () => {
  test('starts with the dry-run header and numbers the steps, each command under its step', () => {
    const lines = formatPlan(upgradePlan(planInputs)).split('\n')
    assert.equal(lines[0], 'upgrade plan (dry run: nothing was changed)')
    assert.deepEqual(
      lines.filter((l) => /^ {0,1}\d+\. /.test(l)).map((l) => l.slice(0, l.indexOf(':'))),
      [' 1. lock', ' 2. converge', ' 3. build', ' 4. image', ' 5. candidate', ' 6. probe candidate', ' 7. drain prod', ' 8. prod', ' 9. probe prod', '10. clean up'],
    )
    assert.ok(
      lines.includes(
        "      docker build --file /home/mhugo/code/sf/docker/Dockerfile.source-server --tag sf-source-server:local --build-arg 'BASE_IMAGE=<base image>' --label sf.role=runtime '<empty folder>'",
      ),
    )
    assert.ok(lines.includes('      docker stop --time 610 sf-server-vega'))
  })

  test('quotes the arguments a shell would split or expand, and only those', () => {
    const text = formatPlan([
      {
        step: 'image',
        what: 'build it',
        commands: [['run', '--env', 'A=b c', '--env', 'B=$HOME', '--env', "C=it's", '--env', 'D=x;y', '--env', 'E=', '--mount', 'type=bind,source=/a/b@c+d%e,target=/f:g', '']],
      },
      { step: 'lock', what: 'take it', commands: [] },
    ])
    assert.equal(
      text,
      [
        'upgrade plan (dry run: nothing was changed)',
        ' 1. image: build it',
        `      docker run --env 'A=b c' --env 'B=$HOME' --env 'C=it'\\''s' --env 'D=x;y' --env E= --mount type=bind,source=/a/b@c+d%e,target=/f:g ''`,
        ' 2. lock: take it',
      ].join('\n'),
    )
  })
})

describe('candidateSpec', () => {
  test('is prod under <name>-candidate on the next port, never restarted, and otherwise the same', () => {
    const prod = vegaContainer(inputs)
    assert.deepEqual(candidateSpec(inputs), {
      ...prod,
      name: 'sf-server-vega-candidate',
      ports: [{ bind: '100.64.0.7', hostPort: 4001, containerPort: 4000 }],
      restart: 'no',
      // The container's own name, which vegaContainer writes into its env and labels.
      env: { ...prod.env, SF_VEGA_NAME: 'sf-server-vega-candidate' },
      labels: { ...prod.labels, 'sf.vega.name': 'sf-server-vega-candidate' },
    })
  })
})

describe('frontUpgradePlan', () => {
  const candidate = slotServerSpec(inputs, 'b', 4002)
  const plan = {
    prodName: 'sf-server-vega',
    candidate,
    slot: 'b',
    oldSlot: 'a',
    socket: '/home/mhugo/.sf/vega/sf-server-vega/front/admin.sock',
    lockFile: '/home/mhugo/.sf/vega/sf-server-vega/lock.json',
    runtimeImage: 'sf-source-server:local',
    dockerfile: '/home/mhugo/code/sf/docker/Dockerfile.source-server',
    prodUrl: 'http://100.64.0.7:4000',
    candidateUrl: 'http://127.0.0.1:4002',
    stopTimeout: 610,
    settleSeconds: 5,
    canary: [],
    stepSeconds: 30,
  } as const
  const steps = frontUpgradePlan({ ...plan, canary: [] })

  test('switches with runtime API commands, not by stopping and starting prod on the port', () => {
    assert.deepEqual(steps.map((s) => s.step), ['lock', 'converge', 'build', 'image', 'candidate', 'probe candidate', 'switch', 'settle', 'drain the old server', 'clean up'])
    assert.deepEqual(steps.find((s) => s.step === 'candidate')?.commands, [runDetachedArgs(candidate)])
    assert.deepEqual(steps.find((s) => s.step === 'switch')?.api, ['set server sf/b state drain', 'set server sf/b state ready', 'set server sf/a state drain'])
    assert.deepEqual(steps.find((s) => s.step === 'drain the old server')?.commands, [
      ['stop', '--time', '610', 'sf-server-vega'],
      ['rename', 'sf-server-vega', 'sf-server-vega-previous'],
      ['rename', 'sf-server-vega-candidate', 'sf-server-vega'],
      ['update', '--restart', 'unless-stopped', 'sf-server-vega'],
    ])
  })

  test('prints the runtime API commands as the front would take them', () => {
    const text = formatPlan(steps)
    assert.match(text, /^ 7\. switch: take slot b out of maintenance, .* then make it ready and drain slot a \(HAProxy's runtime API on \S+admin\.sock\)\n {6}front> set server sf\/b state drain\n {6}front> set server sf\/b state ready\n {6}front> set server sf\/a state drain$/m)
  })

  test('with canary steps, sets each step\'s weights, then gives the new slot every request and drains the old one', () => {
    const canary = frontUpgradePlan({ ...plan, canary: [10, 50], stepSeconds: 20 })
    assert.deepEqual(canary.map((s) => s.step).slice(6, 10), ['switch', 'canary 10%', 'canary 50%', 'every request'])
    assert.deepEqual(canary.find((s) => s.step === 'switch')?.api, ['set server sf/b weight 10', 'set server sf/a weight 90', 'set server sf/b state drain', 'set server sf/b state ready'])
    assert.deepEqual(canary.find((s) => s.step === 'canary 50%')?.api, ['set server sf/b weight 50', 'set server sf/a weight 50'])
    assert.match(canary.find((s) => s.step === 'canary 50%')!.what, /takes 50% of requests for 20s, judged beside the old server/)
    assert.deepEqual(canary.find((s) => s.step === 'every request')?.api, ['set server sf/b weight 100', 'set server sf/a state drain'])
  })
})
