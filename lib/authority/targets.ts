// The deploy targets, test and prod, in one file (the "GitOps values" of the spec's Open Work): one
// zod schema, every problem reported at once with its path (`targets.prod.namespace: ...`).
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { ConfigError } from '../errors.ts'
import { isImageReference } from '../image-reference.ts'

const name = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a Kubernetes name: lower-case letters, digits and -, up to 63')

const httpUrl = z
  .string()
  .refine((v) => /^https?:\/\/[^/\s]+\/?$/.test(v), { error: 'must be the base URL the probes reach, such as http://sf.example:4000 (no path)', abort: true })
  .refine((v) => !/^https?:\/\/[^/]*@/.test(v), {
    error: 'must not hold a user or password (user:pass@): the probes need none, and the url is printed in every phase line; registry credentials go in SF_REGISTRY_USER and SF_REGISTRY_PASSWORD',
  })
  .transform((v) => v.replace(/\/$/, ''))

const kubectlTarget = z
  .object({
    kind: z.literal('kubernetes'),
    context: z.string().min(1, 'must name a kubeconfig context (kubectl config get-contexts)').describe('The kubeconfig context kubectl uses.'),
    namespace: name.describe('The namespace of the deployment.'),
    deployment: name.describe('The Deployment whose image is set.'),
    container: name.describe('The container in its pod template that runs sf-server.'),
    url: httpUrl.describe('Where the probes reach the Service from the deployer (healthz, ready, version).'),
    rolloutTimeoutSeconds: z
      .number()
      .int()
      .min(30)
      .max(7200)
      .default(900)
      .describe('How long `kubectl rollout status` waits; over the 610 s an old pod may take to drain.'),
  })
  .strict()

const gitopsTarget = z
  .object({
    kind: z.literal('kubernetes'),
    gitops: z
      .object({
        checkout: z
          .string()
          .refine((v) => path.isAbsolute(v), { error: 'must be an absolute path: the local clone of the repository Argo CD or Flux watches, such as /srv/infra' })
          .transform((v) => path.resolve(v))
          .describe('A local clone of the repository Argo CD or Flux applies, on the branch it watches, with that branch\'s upstream set.'),
        overlay: z
          .string()
          .refine((v) => v !== '' && !path.isAbsolute(v) && !v.split(/[\\/]/).includes('..'), {
            error: 'must be a folder inside the checkout, relative to it and without .., such as deploy/k8s/overlays/prod',
          })
          .transform((v) => path.posix.normalize(v).replace(/\/$/, ''))
          .describe('The folder of the kustomization.yaml whose image entry names the digest, relative to the checkout.'),
        image: z
          .string()
          .regex(/^[^\s]+$/, 'must be the name of an images entry in the kustomization, such as sf-server')
          .default('sf-server')
          .describe('The `images[].name` in that kustomization whose newName and digest are set.'),
      })
      .strict()
      .describe('Promote by a commit to an overlay that Argo CD or Flux applies, instead of kubectl.'),
    url: httpUrl.describe('Where the probes (and --wait) reach the Service from the deployer.'),
  })
  .strict()

/**
 * A kubernetes target is rolled with kubectl (`context`) or promoted through a git checkout
 * (`gitops`); which, its keys say. Both share the kind, so they cannot be two arms of the union on
 * `kind`: this picks one and reports its problems at their own paths, as the union does.
 */
const kubernetesTarget = z.looseObject({ kind: z.literal('kubernetes') }).transform((value, ctx): KubectlTarget | GitopsTarget => {
  const gitops = 'gitops' in value
  const context = 'context' in value
  if (gitops === context) {
    ctx.addIssue({
      code: 'custom',
      input: value,
      message: gitops
        ? 'names both context and gitops: a kubernetes target is rolled with kubectl (context, namespace, deployment, container) or promoted through a git checkout (gitops), not both; remove one'
        : 'names neither context nor gitops: give context, namespace, deployment and container to roll it with kubectl, or gitops: {checkout, overlay} to commit the digest to an overlay Argo CD or Flux applies',
    })
    return z.NEVER
  }
  const result = (gitops ? gitopsTarget : kubectlTarget).safeParse(value, { reportInput: true })
  if (result.success) return result.data
  for (const issue of result.error.issues) ctx.addIssue(issue as z.core.$ZodRawIssue)
  return z.NEVER
})

const dockerTarget = z
  .object({
    kind: z.literal('docker'),
    host: z
      .string()
      .regex(/^(unix|tcp|ssh):\/\/\S+$/, 'must be a DOCKER_HOST such as unix:///var/run/docker.sock or ssh://deploy@host')
      .optional()
      .describe("The engine's DOCKER_HOST; unset: the local socket. Only a unix:// socket on the deployer's machine can be rolled."),
    name: z
      .string()
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, 'must be a container name: letters, digits, _ . - (up to 63)')
      .describe('The container name of the server on that host (its front is <name>-front, its network <name>-net).'),
    port: z
      .number({ error: 'must be a whole number, written without quotes' })
      .int()
      .min(1)
      .max(65533, 'must be 65533 or lower: the servers behind the front publish the next two ports for their own probes')
      .describe("The host port the target's front publishes; its servers' probe ports are the next two (slot a, slot b)."),
    bind: z
      .string()
      .refine((v) => net.isIP(v) !== 0, { error: 'must be an IP address such as 127.0.0.1; docker publishes ports on addresses' })
      .default('127.0.0.1')
      .describe('The host address the front publishes the port on, and the servers their probe ports.'),
    drainStopTime: z
      .number({ error: 'must be a whole number of seconds from 1 to 86400, written without quotes' })
      .int('must be a whole number of seconds from 1 to 86400')
      .min(1, 'must be a whole number of seconds from 1 to 86400')
      .max(86_400, 'must be a whole number of seconds from 1 to 86400')
      .optional()
      .describe("Seconds docker stop lets the target's old server drain; more than SF_RPC_SHUTDOWN_GRACE_MS. Unset: SF_VEGA_DRAIN_STOP_TIME (610)."),
    frontImage: z
      .string()
      .refine(isImageReference, { error: 'must be an image reference such as haproxy:lts' })
      .optional()
      .describe("The haproxy image of the target's front. Unset: SF_VEGA_FRONT_IMAGE, else haproxy:lts, or one built from this host's haproxy when it cannot be pulled."),
    canary: z
      .array(z.number().int('each share must be a whole number from 1 to 99').min(1, 'each share must be a whole number from 1 to 99').max(99, 'each share must be a whole number from 1 to 99'), {
        error: 'must be a list of shares in %, such as [10, 50]',
      })
      .max(10, 'must be at most 10 steps')
      .refine((shares) => shares.every((n, i) => i === 0 || n > shares[i - 1]!), { error: 'the shares must rise, such as [10, 50]: each step gives the new server more of the requests' })
      .default([])
      .describe("The new server's shares of the requests in % (such as [10, 50]), one step at a time, each judged by its traffic, before it takes them all. Unset: no steps."),
    step: z
      .number({ error: 'must be a whole number of seconds from 1 to 86400, written without quotes' })
      .int('must be a whole number of seconds from 1 to 86400')
      .min(1, 'must be a whole number of seconds from 1 to 86400')
      .max(86_400, 'must be a whole number of seconds from 1 to 86400')
      .default(30)
      .describe('How long each canary step lasts, in seconds.'),
    url: httpUrl
      .optional()
      .describe("Where the deployer's probes reach this host's front, such as http://sf-prod-2.example:4000; `promote --wait` asks it which digest serves. Unset: http://<bind>:<port>."),
  })
  .strict()

export const targetSchema = z.discriminatedUnion('kind', [kubernetesTarget, dockerTarget], {
  error: 'kind must be kubernetes or docker',
})

/** One target, or several docker hosts that follow the environment's channel (each with its controller). */
const environmentSchema = z.union([targetSchema, z.array(z.discriminatedUnion('kind', [dockerTarget], { error: 'a list holds docker hosts only: kind must be docker (a kubernetes target is one entry)' })).min(1, 'must list at least one docker host')], {
  error: 'must be one target, or a list of docker targets (one per host)',
})

export const targetsFileSchema = z
  .object({
    targets: z
      .object({
        test: environmentSchema.describe('Rolled first; a digest must pass its probes here before prod.'),
        prod: environmentSchema.describe('Gets only a digest that passed test.'),
      })
      .strict(),
  })
  .strict()

export type Target = z.output<typeof targetSchema>
/** A kubernetes target kubectl rolls. */
export type KubectlTarget = z.output<typeof kubectlTarget>
/** A kubernetes target promoted by a commit to an overlay that Argo CD or Flux applies. */
export type GitopsTarget = z.output<typeof gitopsTarget>
export type KubernetesTarget = KubectlTarget | GitopsTarget
export type DockerTarget = z.output<typeof dockerTarget>
export type Targets = z.output<typeof targetsFileSchema>['targets']
export type TargetName = keyof Targets

/** An environment's targets as a list: one target, or each of its hosts. */
export function targetsOf(targets: Targets, which: TargetName): Target[] {
  const entry = targets[which]
  return Array.isArray(entry) ? entry : [entry]
}

/** A docker target with where it is: `targets.prod` or `targets.prod.1`, its environment, and the URL its probes reach. */
export interface PlacedDockerTarget {
  target: DockerTarget
  which: TargetName
  path: string
  url: string
}

/** Every docker target of the file, each with its path. */
export function dockerTargets(targets: Targets): PlacedDockerTarget[] {
  return (['test', 'prod'] as const).flatMap((which) => {
    const entry = targets[which]
    const list = Array.isArray(entry) ? entry.map((t, i) => [t, `targets.${which}.${i}`] as const) : [[entry, `targets.${which}`] as const]
    return list.flatMap(([target, path]) => (target.kind === 'docker' ? [{ target, which, path, url: dockerUrl(target) }] : []))
  })
}

/** The URL the deployer's probes reach a docker target by: its url, else its bind address and port. */
export function dockerUrl(target: DockerTarget): string {
  if (target.url) return target.url
  const host = target.bind === '0.0.0.0' ? '127.0.0.1' : target.bind === '::' ? '[::1]' : net.isIPv6(target.bind) ? `[${target.bind}]` : target.bind
  return `http://${host}:${target.port}`
}

/** Parse the text of a targets file; one ConfigError listing every problem with its path. */
export function parseTargets(text: string, source: string): Targets {
  let document: unknown
  try {
    document = parseYaml(text)
  } catch (error) {
    throw new ConfigError(`${source} is not YAML (${(error as Error).message.split('\n')[0]}): fix the syntax`)
  }
  const result = targetsFileSchema.safeParse(document, { reportInput: true })
  const problems = result.success
    ? targetRules.map((rule) => rule(result.data.targets)).filter((p): p is string => p !== null)
    : result.error.issues.flatMap(environmentIssues).map((issue) => `${issue.path.join('.') || '(root)'}: ${issueMessage(issue)}`)
  if (result.success && problems.length === 0) return result.data.targets
  throw new ConfigError(`${source} is not a valid targets file:\n  ${problems.join('\n  ')}`, problems)
}

/** The checks across the targets, each a named rule: a problem with its path, or null. */
export const targetRules: ((t: Targets) => string | null)[] = [
  function dockerTargetsApartOnOneHost(targets) {
    const placed = dockerTargets(targets)
    for (const [i, b] of placed.entries()) {
      for (const a of placed.slice(0, i)) {
        if (a.target.host !== b.target.host) continue
        if (a.target.name === b.target.name) return `${b.path}.name: ${b.target.name} is ${a.path}'s name too, on the same engine: give each target its own container name`
        // Each target holds its port and the next two (the probe ports of slots a and b).
        const sharedBind = a.target.bind === b.target.bind || [a.target.bind, b.target.bind].some((bind) => bind === '0.0.0.0' || bind === '::')
        if (Math.abs(a.target.port - b.target.port) <= 2 && sharedBind) {
          return `${b.path}.port: ${b.target.port} is within 2 of ${a.path}'s ${a.target.port} on the same engine: each target holds its port and the next two; move one at least 3 away`
        }
      }
    }
    return null
  },
]

export function readTargets(file: string): Targets {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    throw new ConfigError(`cannot read the targets file ${file} (${(error as NodeJS.ErrnoException).code}): set SF_TARGETS to the file naming test and prod`)
  }
  return parseTargets(text, file)
}

/**
 * An environment that matches neither one target nor a list: the problems of the shape it has (a list
 * or one object), with their full paths, rather than one line saying neither fits.
 */
function environmentIssues(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union' || issue.path.length !== 2 || issue.path[0] !== 'targets' || issue.errors.length !== 2) return [issue]
  const asList = Array.isArray(issue.input)
  if (!asList && (typeof issue.input !== 'object' || issue.input === null)) return [issue]
  return issue.errors[asList ? 1 : 0]!.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }))
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown ${issue.keys.length > 1 ? 'keys' : 'key'} ${issue.keys.join(', ')}`
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_union') && issue.input === undefined) return 'is missing'
  return issue.message
}
