// Every kubectl command a kubernetes target needs, as an argument array. Pure: these only build
// arrays (unit tests compare them exactly); kubernetes.ts runs them through lib/run.ts.
import type { KubectlTarget } from './targets.ts'

/** The flags that pin every call to the target's context and namespace, whatever kubectl's current one is. */
function scope(target: KubectlTarget): string[] {
  return ['--context', target.context, '--namespace', target.namespace]
}

/**
 * Set the container's image to `repo@sha256:…` and SF_IMAGE_DIGEST (what /api/version reports) in one
 * change of the pod template. `kubectl set image` followed by `kubectl set env` would roll twice, and
 * the pods of the first rollout would report a digest they do not run.
 */
export function setImageArgs(target: KubectlTarget, image: { ref: string; digest: string }): string[] {
  const patch = {
    spec: {
      template: {
        spec: {
          containers: [{ name: target.container, image: image.ref, env: [{ name: 'SF_IMAGE_DIGEST', value: image.digest }] }],
        },
      },
    },
  }
  return [...scope(target), 'patch', 'deployment', target.deployment, '--type', 'strategic', '--patch', JSON.stringify(patch)]
}

/** Wait until every pod runs the new template and the old ones are gone, or fail at the timeout. */
export function rolloutStatusArgs(target: KubectlTarget): string[] {
  return [...scope(target), 'rollout', 'status', `deployment/${target.deployment}`, `--timeout=${target.rolloutTimeoutSeconds}s`]
}

/** Back to the pod template before the last change (image and SF_IMAGE_DIGEST together). */
export function rolloutUndoArgs(target: KubectlTarget): string[] {
  return [...scope(target), 'rollout', 'undo', `deployment/${target.deployment}`]
}

/** The image the deployment's container is set to now, for the progress line and the report. */
export function currentImageArgs(target: KubectlTarget): string[] {
  return [
    ...scope(target),
    'get',
    'deployment',
    target.deployment,
    '--output',
    `jsonpath={.spec.template.spec.containers[?(@.name=="${target.container}")].image}`,
  ]
}
