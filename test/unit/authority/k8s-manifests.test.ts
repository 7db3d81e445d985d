// deploy/k8s: each overlay renders with `kubectl kustomize` (no cluster needed) and every rendered
// object validates against the Kubernetes schemas of kubernetes-models; the Deployment keeps the
// rollout rules the build authority depends on.
import assert from 'node:assert/strict'
import path from 'node:path'
import { describe, test } from 'node:test'
import { Deployment } from 'kubernetes-models/apps/v1'
import { Namespace, PersistentVolumeClaim, Service } from 'kubernetes-models/v1'
import { parseAllDocuments } from 'yaml'
import { readTargets } from '../../../lib/authority/targets.ts'
import { repoRoot } from '../../../lib/paths.ts'
import { run } from '../../../lib/run.ts'

const k8s = path.join(repoRoot, 'deploy', 'k8s')

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [key: string]: unknown }

const models: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/Namespace': Namespace,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
}

async function render(overlay: string): Promise<K8sObject[]> {
  const out = await run('kubectl', ['kustomize', path.join(k8s, 'overlays', overlay)])
  return parseAllDocuments(out.stdout).map((doc) => doc.toJS() as K8sObject)
}

/** Every schema problem of every object, as `Kind/name: message`. */
function schemaProblems(objects: K8sObject[]): string[] {
  return objects.flatMap((object) => {
    const Model = models[`${object.apiVersion}/${object.kind}`]
    if (!Model) return [`${object.kind}/${object.metadata.name}: no schema is known for ${object.apiVersion} ${object.kind}`]
    try {
      new Model(object as never).validate()
      return []
    } catch (error) {
      return [`${object.kind}/${object.metadata.name}: ${(error as Error).message}`]
    }
  })
}

type Container = {
  name: string
  image: string
  ports: { containerPort: number }[]
  env: { name: string; value: string }[]
  readinessProbe: { httpGet: { path: string } }
  livenessProbe: { httpGet: { path: string } }
  startupProbe: { httpGet: { path: string } }
  resources: { requests: object; limits: object }
  securityContext: { allowPrivilegeEscalation: boolean }
  volumeMounts: { name: string; mountPath: string }[]
}
type DeploymentSpec = {
  strategy: { type: string; rollingUpdate: { maxUnavailable: number } }
  template: { spec: { terminationGracePeriodSeconds: number; securityContext: { runAsNonRoot: boolean; runAsUser: number; fsGroupChangePolicy?: string }; containers: Container[]; volumes: { name: string; persistentVolumeClaim?: { claimName: string } }[] } }
}

const targets = readTargets(path.join(repoRoot, 'deploy', 'targets.yaml'))

describe('deploy/k8s', () => {
  for (const overlay of ['test', 'prod'] as const) {
    test(`the ${overlay} overlay renders and every object passes the Kubernetes schemas`, async () => {
      const objects = await render(overlay)
      assert.deepEqual(objects.map((o) => o.kind).sort(), ['Deployment', 'Namespace', 'PersistentVolumeClaim', 'Service'])
      assert.deepEqual(schemaProblems(objects), [])
    })

    test(`the ${overlay} Deployment is the one targets.${overlay} names, by digest, and rolls without losing a ready pod`, async () => {
      const objects = await render(overlay)
      const deployment = objects.find((o) => o.kind === 'Deployment')!
      const target = targets[overlay]
      assert.ok(!Array.isArray(target) && target.kind === 'kubernetes' && 'context' in target)
      assert.deepEqual([deployment.metadata.namespace, deployment.metadata.name], [target.namespace, target.deployment])
      const spec = deployment.spec as DeploymentSpec
      const container = spec.template.spec.containers.find((c) => c.name === target.container)!
      assert.match(container.image, /^[^@:\s]+(:\d+)?[^@:\s]*@sha256:[0-9a-f]{64}$/)
      assert.deepEqual(spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } })
      assert.ok(spec.template.spec.terminationGracePeriodSeconds > 600, 'the grace period must outlast the 600 s drain')
      assert.equal(container.env.find((e) => e.name === 'SF_RPC_SHUTDOWN_GRACE_MS')?.value, '600000')
      // A GitOps commit sets only the image: the overlay copies its digest into what /api/version reports.
      assert.equal(container.env.find((e) => e.name === 'SF_IMAGE_DIGEST')?.value, container.image.split('@')[1])
      assert.deepEqual(
        [container.readinessProbe.httpGet.path, container.livenessProbe.httpGet.path, container.startupProbe.httpGet.path],
        ['/api/ready', '/api/healthz', '/api/healthz'],
      )
      assert.deepEqual(container.ports, [{ name: 'http', containerPort: 4000, protocol: 'TCP' }])
      assert.ok(container.resources.requests && container.resources.limits)
      assert.deepEqual([spec.template.spec.securityContext.runAsNonRoot, spec.template.spec.securityContext.runAsUser], [true, 1000])
      assert.equal(container.securityContext.allowPrivilegeEscalation, false)
      // fsGroup leaves a volume's root group-writable, and the server refuses such an SF_HOME (a token
      // planted there would open the admin endpoints): SF_HOME is a folder it makes, 0700, inside.
      const sfHome = container.env.find((e) => e.name === 'SF_HOME')?.value ?? ''
      const mount = container.volumeMounts.find((m) => path.posix.dirname(sfHome) === m.mountPath)
      assert.ok(mount, `SF_HOME ${sfHome} is not a folder directly inside a mounted volume`)
      assert.equal(spec.template.spec.securityContext.fsGroupChangePolicy, 'OnRootMismatch', 'kubelet must not make SF_HOME group-writable again at every start')
      assert.equal(spec.template.spec.volumes.find((v) => v.name === mount.name)?.persistentVolumeClaim?.claimName, 'sf-home')
    })
  }

  test('the Service sends port 4000 to the pods of the Deployment', async () => {
    const objects = await render('test')
    const service = objects.find((o) => o.kind === 'Service')!.spec as { selector: object; ports: { port: number; targetPort: string }[] }
    const deployment = objects.find((o) => o.kind === 'Deployment')!.spec as { template: { metadata: { labels: object } } }
    assert.deepEqual(service.ports.map((p) => [p.port, p.targetPort]), [[4000, 'http']])
    assert.deepEqual(service.selector, deployment.template.metadata.labels)
  })

  test('the schema check catches a string containerPort, a missing selector and an unknown kind', async () => {
    const objects = await render('test')
    const broken = structuredClone(objects).map((object) => {
      if (object.kind !== 'Deployment') return object
      const spec = object.spec as { selector?: unknown; template: { spec: { containers: { ports: { containerPort: unknown }[] }[] } } }
      spec.template.spec.containers[0]!.ports[0]!.containerPort = '4000'
      return object
    })
    const noSelector = structuredClone(objects.find((o) => o.kind === 'Deployment')!)
    delete (noSelector.spec as { selector?: unknown }).selector
    const problems = schemaProblems([...broken, noSelector, { apiVersion: 'v1', kind: 'Secrett', metadata: { name: 'x' } }])
    assert.deepEqual(problems.length, 3, problems.join('\n'))
    assert.match(problems[0]!, /^Deployment\/sf-server: .*containerPort must be integer/)
    assert.match(problems[1]!, /^Deployment\/sf-server: .*selector/)
    assert.equal(problems[2], 'Secrett/x: no schema is known for v1 Secrett')
  })
})
