import assert from 'node:assert/strict'
import path from 'node:path'
import { describe, test } from 'node:test'
import { dockerTargets, parseTargets, readTargets, targetsOf } from '../../../lib/authority/targets.ts'
import { ConfigError } from '../../../lib/errors.ts'
import { repoRoot } from '../../../lib/paths.ts'

function problemsOf(text: string): string[] {
  try {
    parseTargets(text, 'targets.yaml')
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`)
    return error.problems
  }
  assert.fail('expected a ConfigError, but the file was accepted')
}

describe('the targets file', () => {
  test('the one in deploy/ names test and prod as kubernetes targets of the deploy/k8s overlays', () => {
    const targets = readTargets(path.join(repoRoot, 'deploy', 'targets.yaml'))
    assert.deepEqual(
      [targets.test, targets.prod].map((t) => !Array.isArray(t) && t.kind === 'kubernetes' && 'context' in t && [t.namespace, t.deployment, t.container, t.url]),
      [
        ['sf-test', 'sf-server', 'sf-server', 'http://sf-server.sf-test.svc.cluster.local:4000'],
        ['sf-prod', 'sf-server', 'sf-server', 'http://sf-server.sf-prod.svc.cluster.local:4000'],
      ],
    )
  })

  test('refuses a url with a user and password in it, without printing them, and says where credentials go', () => {
    const problems = problemsOf('targets:\n  test: {kind: kubernetes, context: k3s, namespace: sf-test, deployment: sf, container: sf, url: "http://ci:hunter2@sf:4000"}\n  prod: {kind: docker, name: sf-prod, port: 4100}\n')
    assert.deepEqual(problems, [
      'targets.test.url: must not hold a user or password (user:pass@): the probes need none, and the url is printed in every phase line; registry credentials go in SF_REGISTRY_USER and SF_REGISTRY_PASSWORD',
    ])
    assert.deepEqual(problemsOf('targets:\n  test: {kind: kubernetes, context: k3s, namespace: sf-test, deployment: sf, container: sf, url: "http://user@sf"}\n  prod: {kind: docker, name: sf-prod, port: 4100}\n').length, 1)
  })

  test('reads a docker target with its defaults, and drops a trailing slash from a url', () => {
    const targets = parseTargets(
      'targets:\n  test: {kind: kubernetes, context: k3s, namespace: sf-test, deployment: sf, container: sf, url: "http://sf:4000/"}\n  prod: {kind: docker, name: sf-prod, port: 4100}\n',
      'targets.yaml',
    )
    assert.deepEqual(targets, {
      test: { kind: 'kubernetes', context: 'k3s', namespace: 'sf-test', deployment: 'sf', container: 'sf', url: 'http://sf:4000', rolloutTimeoutSeconds: 900 },
      prod: { kind: 'docker', name: 'sf-prod', port: 4100, bind: '127.0.0.1', canary: [], step: 30 },
    })
  })

  test('reports every problem at once, each with its path', () => {
    const problems = problemsOf(
      [
        'targets:',
        '  test: {kind: kubernetes, context: k3s, namespace: Sf_Test, deployment: sf, container: sf, url: "ftp://sf"}',
        '  prod: {kind: docker, name: sf-prod, port: "4100", bind: localhost, replicas: 2}',
      ].join('\n'),
    )
    assert.deepEqual(problems, [
      'targets.test.namespace: must be a Kubernetes name: lower-case letters, digits and -, up to 63',
      'targets.test.url: must be the base URL the probes reach, such as http://sf.example:4000 (no path)',
      'targets.prod.port: must be a whole number, written without quotes',
      'targets.prod.bind: must be an IP address such as 127.0.0.1; docker publishes ports on addresses',
      'targets.prod: unknown key replicas',
    ])
  })

  test('reads canary steps of a docker target, and refuses shares out of range or not rising', () => {
    const head = 'targets:\n  test: {kind: docker, name: sf-test, port: 4200}\n'
    const prod = parseTargets(`${head}  prod: {kind: docker, name: sf-prod, port: 4100, canary: [10, 50], step: 20}\n`, 'targets.yaml').prod
    assert.ok(!Array.isArray(prod) && prod.kind === 'docker')
    assert.deepEqual([prod.canary, prod.step], [[10, 50], 20])
    assert.deepEqual(problemsOf(`${head}  prod: {kind: docker, name: sf-prod, port: 4100, canary: [10, 100], step: 0}\n`), [
      'targets.prod.canary.1: each share must be a whole number from 1 to 99',
      'targets.prod.step: must be a whole number of seconds from 1 to 86400',
    ])
    assert.deepEqual(problemsOf(`${head}  prod: {kind: docker, name: sf-prod, port: 4100, canary: [50, 10]}\n`), [
      'targets.prod.canary: the shares must rise, such as [10, 50]: each step gives the new server more of the requests',
    ])
  })

  test('names a missing target, a missing field and an unknown kind', () => {
    assert.deepEqual(problemsOf('targets:\n  test: {kind: kubernetes, context: k3s, deployment: sf, container: sf, url: "http://sf"}\n'), [
      'targets.test.namespace: is missing',
      'targets.prod: is missing',
    ])
    assert.deepEqual(problemsOf('targets:\n  test: {kind: nomad}\n  prod: {kind: docker, name: p, port: 1}\n'), ['targets.test.kind: kind must be kubernetes or docker'])
  })

  test('reads a gitops kubernetes target: the overlay made plain, the image sf-server by default', () => {
    const targets = parseTargets(
      [
        'targets:',
        '  test: {kind: kubernetes, context: k3s, namespace: sf-test, deployment: sf, container: sf, url: "http://sf:4000"}',
        '  prod: {kind: kubernetes, gitops: {checkout: /srv/infra/, overlay: ./deploy/k8s/overlays/prod/}, url: "http://sf-prod:4000/"}',
      ].join('\n'),
      'targets.yaml',
    )
    assert.deepEqual(targets.prod, { kind: 'kubernetes', gitops: { checkout: '/srv/infra', overlay: 'deploy/k8s/overlays/prod', image: 'sf-server' }, url: 'http://sf-prod:4000' })
    assert.equal(!Array.isArray(targets.test) && targets.test.kind === 'kubernetes' && 'context' in targets.test && targets.test.rolloutTimeoutSeconds, 900)
  })

  test('refuses a gitops target whose checkout is relative, whose overlay leaves it, and keys of the kubectl kind, each by its path', () => {
    const problems = problemsOf(
      [
        'targets:',
        '  test: {kind: docker, name: sf-test, port: 4200}',
        '  prod: {kind: kubernetes, gitops: {checkout: srv/infra, overlay: ../other/prod, image: "sf server", branch: main}, url: "http://sf:4000", namespace: sf-prod}',
      ].join('\n'),
    )
    assert.deepEqual(problems, [
      'targets.prod.gitops.checkout: must be an absolute path: the local clone of the repository Argo CD or Flux watches, such as /srv/infra',
      'targets.prod.gitops.overlay: must be a folder inside the checkout, relative to it and without .., such as deploy/k8s/overlays/prod',
      'targets.prod.gitops.image: must be the name of an images entry in the kustomization, such as sf-server',
      'targets.prod.gitops: unknown key branch',
      'targets.prod: unknown key namespace',
    ])
    assert.deepEqual(problemsOf('targets:\n  test: {kind: docker, name: t, port: 4200}\n  prod: {kind: kubernetes, gitops: {checkout: /srv/infra, overlay: /srv/infra/prod}, url: "http://sf"}\n'), [
      'targets.prod.gitops.overlay: must be a folder inside the checkout, relative to it and without .., such as deploy/k8s/overlays/prod',
    ])
    assert.deepEqual(problemsOf('targets:\n  test: {kind: docker, name: t, port: 4200}\n  prod: {kind: kubernetes, gitops: {checkout: /srv/infra}}\n'), [
      'targets.prod.gitops.overlay: is missing',
      'targets.prod.url: is missing',
    ])
  })

  test('a kubernetes target names context or gitops: with both or neither, the problem says which', () => {
    const head = 'targets:\n  test: {kind: docker, name: sf-test, port: 4200}\n'
    assert.deepEqual(problemsOf(`${head}  prod: {kind: kubernetes, context: k3s, namespace: sf, deployment: sf, container: sf, gitops: {checkout: /srv/infra, overlay: prod}, url: "http://sf"}\n`), [
      'targets.prod: names both context and gitops: a kubernetes target is rolled with kubectl (context, namespace, deployment, container) or promoted through a git checkout (gitops), not both; remove one',
    ])
    assert.deepEqual(problemsOf(`${head}  prod: {kind: kubernetes, namespace: sf, url: "http://sf"}\n`), [
      'targets.prod: names neither context nor gitops: give context, namespace, deployment and container to roll it with kubectl, or gitops: {checkout, overlay} to commit the digest to an overlay Argo CD or Flux applies',
    ])
  })

  test('refuses text that is not YAML, and a file that is not there, saying what to do', () => {
    assert.throws(() => parseTargets('targets: [', 'targets.yaml'), /targets\.yaml is not YAML .*fix the syntax/)
    assert.throws(() => readTargets('/nonexistent/targets.yaml'), /cannot read the targets file \/nonexistent\/targets\.yaml \(ENOENT\): set SF_TARGETS/)
  })

  test('an environment may list several docker hosts, each with the URL its probes reach', () => {
    const file = [
      'targets:',
      '  test: {kind: docker, name: sf-test, port: 4200}',
      '  prod:',
      '    - {kind: docker, name: sf-prod, port: 4100, host: "ssh://deploy@prod-1.example", url: "http://prod-1.example:4100/"}',
      '    - {kind: docker, name: sf-prod, port: 4100, host: "ssh://deploy@prod-2.example", url: "http://prod-2.example:4100"}',
      '    - {kind: docker, name: sf-prod-b, port: 4103}',
      '',
    ].join('\n')
    const targets = parseTargets(file, 'targets.yaml')
    assert.deepEqual(
      dockerTargets(targets).map((p) => [p.path, p.which, p.target.name, p.url]),
      [
        ['targets.test', 'test', 'sf-test', 'http://127.0.0.1:4200'],
        ['targets.prod.0', 'prod', 'sf-prod', 'http://prod-1.example:4100'],
        ['targets.prod.1', 'prod', 'sf-prod', 'http://prod-2.example:4100'],
        ['targets.prod.2', 'prod', 'sf-prod-b', 'http://127.0.0.1:4103'],
      ],
    )
    assert.equal(targetsOf(targets, 'prod').length, 3)
    assert.equal(targetsOf(targets, 'test').length, 1)
  })

  test('a list of hosts: each problem with its index, hosts on one engine apart, and at least one host', () => {
    assert.deepEqual(problemsOf('targets:\n  test: {kind: docker, name: sf-test, port: 4200}\n  prod:\n    - {kind: docker, name: sf-prod, port: 4100}\n    - {kind: docker, name: sf-prod-b, port: "4103", url: "http://x:1/path"}\n'), [
      'targets.prod.1.port: must be a whole number, written without quotes',
      'targets.prod.1.url: must be the base URL the probes reach, such as http://sf.example:4000 (no path)',
    ])
    assert.deepEqual(problemsOf('targets:\n  test: {kind: docker, name: sf-test, port: 4200}\n  prod:\n    - {kind: docker, name: sf-prod, port: 4100}\n    - {kind: docker, name: sf-prod-b, port: 4101}\n'), [
      "targets.prod.1.port: 4101 is within 2 of targets.prod.0's 4100 on the same engine: each target holds its port and the next two; move one at least 3 away",
    ])
    assert.deepEqual(problemsOf('targets:\n  test: {kind: docker, name: sf-test, port: 4200}\n  prod: []\n'), ['targets.prod: must list at least one docker host'])
    assert.deepEqual(problemsOf('targets:\n  test: {kind: docker, name: sf-test, port: 4200}\n  prod: [{kind: kubernetes, context: k, namespace: n, deployment: d, container: c, url: "http://k"}]\n'), [
      'targets.prod.0.kind: a list holds docker hosts only: kind must be docker (a kubernetes target is one entry)',
    ])
  })
})
