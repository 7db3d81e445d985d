// Every SF_* variable the project reads, declared once: its schema, default and description. lib/env.ts
// reads the environment against this table.
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { z } from 'zod'
import { isImageReference } from './image-reference.ts'

/** A process environment, or a plain object standing in for one. */
export type Env = Record<string, string | undefined>

/** What the defaults are computed from. */
export interface EnvContext {
  /** The SF checkout the command runs from (holds package.json and dist/). */
  checkout: string
  /** The user's home folder, for the default SF_HOME. */
  home?: string
}

const absolutePath = z
  .string()
  .refine((v) => path.isAbsolute(v), { error: 'must be an absolute path' })
  .transform((v) => path.normalize(v))

/** A folder, or nothing yet (it is created when first needed); never a file. */
const folderOrAbsent = absolutePath.refine((v) => !existsAsNonDirectory(v), {
  error: 'must be a folder (or not exist yet, to be created), but it is a file: move the file away or point SF_HOME elsewhere',
})

const existingDir = absolutePath.refine((v) => isDirectory(v), { error: 'must be an existing directory' })

/** 1-65535 written in decimal digits. */
const port = z
  .string()
  .refine((v) => /^\d{1,5}$/.test(v) && Number(v) >= 1 && Number(v) <= 65535, {
    error: 'must be a whole number from 1 to 65535',
  })
  .transform(Number)

/** An IPv4 or IPv6 address, or a host name whose last label is not all digits. */
const bindHost = z.string().refine(isBindHost, {
  error: 'must be an IPv4 address (127.0.0.1), an IPv6 address (::1) or a host name (localhost)',
})

const milliseconds = z
  .string()
  .refine((v) => /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 86_400_000, {
    error: 'must be a whole number of milliseconds from 1 to 86400000 (24 h)',
  })
  .transform(Number)

/** A whole number from min to max, written in decimal digits. */
const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .refine((v) => /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max, { error: `must be a whole number from ${min} to ${max}` })
    .transform(Number)

/** A number from min to max, decimals allowed. */
const decimal = (min: number, max: number, what: string) =>
  z
    .string()
    .refine((v) => /^\d+(\.\d+)?$/.test(v) && Number(v) >= min && Number(v) <= max, { error: `must be ${what}` })
    .transform(Number)

/** Empty means unset; any other value must pass `schema`, whose own message is reported. */
const optional = <T extends z.ZodTypeAny>(schema: T) =>
  z.string().transform((v, ctx): z.output<T> | undefined => {
    if (v === '') return undefined
    const result = schema.safeParse(v)
    if (result.success) return result.data
    for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', message: issue.message })
    return z.NEVER
  })

/** The rule for an admin token, from SF_ADMIN_TOKEN or the token file alike. */
export const adminTokenRule = {
  test: (v: string) => v.length >= 16 && !/\s/.test(v),
  message: 'must be at least 16 characters with no spaces (try: openssl rand -hex 32)',
}

/** How much of a bad value a problem shows: enough to recognise it, never a page of it. */
const shownPrefix = 40

/** A value as a problem shows it: a secret by its length only, a long one by a prefix and its length. */
export function shownValue(value: string, secret = false): string {
  if (secret) return `(${value.length} characters, not shown)`
  if (value.length <= shownPrefix) return JSON.stringify(value)
  return `${JSON.stringify(value.slice(0, shownPrefix))}… (${value.length} characters)`
}

/** A name as a warning shows it: a long one by a prefix and its length. */
export function shownName(name: string): string {
  return name.length <= shownPrefix ? name : `${name.slice(0, shownPrefix)}… (${name.length} characters)`
}

/** More names than any deployment answers under; the list is checked on every request. */
const maxHostNames = 256

/** Host names separated by commas; a leading dot stands for every name under it. */
const hostList = z.string().transform((v, ctx) => {
  const names = v.split(',').map((n) => n.trim()).filter(Boolean)
  if (names.length > maxHostNames) {
    ctx.addIssue({ code: 'custom', message: `must be at most ${maxHostNames} host names (${names.length} given)` })
    return z.NEVER
  }
  const bad = names.find((n) => !isBindHost(n.startsWith('.') ? n.slice(1) : n) || net.isIP(n) !== 0)
  if (bad !== undefined || names.length === 0) {
    ctx.addIssue({ code: 'custom', message: `must be host names separated by commas (sf.example.com, or .example.com for every name under it)${bad === undefined ? '' : `; ${shownValue(bad)} is not one`}` })
    return z.NEVER
  }
  return names
})

export interface Variable {
  schema: z.ZodTypeAny
  description: string
  /** The default as documentation shows it. */
  defaultText: string
  /** A secret: problems name its length, never its value. */
  secret?: boolean
  /** The default value, from the context and the values resolved before it; undefined when one it needs was bad. */
  default?: (ctx: Required<EnvContext>, resolved: Env) => string | undefined
}

/** In resolution order: a default may read the values above it. */
export const sfVariables = {
  SF_HOME: {
    schema: folderOrAbsent,
    description: 'Persistent state of the server (admin token, history); for deploy-test and promote, the docker targets\' fronts and locks (targets/<name>).',
    defaultText: '~/.sf',
    default: (ctx) => path.join(ctx.home, '.sf'),
  },
  SF_WORKSPACE_DIR: {
    schema: existingDir,
    description: 'The repo the server controls at start (the loader takes it as its <workspace> argument).',
    defaultText: 'this checkout',
    default: (ctx) => ctx.checkout,
  },
  SF_WORKSPACES_DIR: {
    schema: existingDir,
    description: 'The parent folder of repos the server may list and switch to; nothing outside it is listed.',
    defaultText: 'the parent of SF_WORKSPACE_DIR',
    default: (_ctx, resolved) => resolved.SF_WORKSPACE_DIR && path.dirname(resolved.SF_WORKSPACE_DIR),
  },
  SF_WEB_HOST: {
    schema: bindHost,
    description: 'Address the web host binds (the loader sets it from --host).',
    defaultText: '127.0.0.1',
    default: () => '127.0.0.1',
  },
  SF_WEB_PORT: {
    schema: port,
    description: 'Port the web host listens on (the loader sets it from --port).',
    defaultText: '4000',
    default: () => '4000',
  },
  SF_ALLOWED_HOSTS: {
    schema: optional(hostList),
    description: 'Host names the server answers /api/projects and the page under, besides addresses, localhost and SF_WEB_HOST (comma-separated; .example.com allows every name under it): a guard against DNS rebinding.',
    defaultText: '(unset)',
  },
  SF_WEB_PROJECT_CWD: {
    schema: existingDir,
    description: 'The workspace as the web host sees it (set by the loader).',
    defaultText: 'SF_WORKSPACE_DIR',
    default: (_ctx, resolved) => resolved.SF_WORKSPACE_DIR,
  },
  SF_WEB_BUILD_ID: {
    schema: optional(z.string().refine((v) => /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v), { error: 'must be a build id as under dist/web/builds/' })),
    description: 'Pin the loader to the staged build dist/web/builds/<id> and its manifest dist/releases/<id>.json (containers set it, so a later build never changes what they serve).',
    defaultText: '(unset: the build dist/web/standalone points at)',
  },
  SF_RELEASE_MANIFEST: {
    schema: absolutePath,
    description: 'The release manifest /api/version serves (set by the loader).',
    defaultText: 'dist/sf-release-manifest.json, or dist/releases/$SF_WEB_BUILD_ID.json',
    default: (ctx, resolved) =>
      resolved.SF_WEB_BUILD_ID
        ? path.join(ctx.checkout, 'dist', 'releases', `${resolved.SF_WEB_BUILD_ID}.json`)
        : path.join(ctx.checkout, 'dist', 'sf-release-manifest.json'),
  },
  SF_RPC_SHUTDOWN_GRACE_MS: {
    schema: milliseconds,
    description: 'Longest a drain may take; past it the server exits non-zero, logging what still ran.',
    defaultText: '600000',
    default: () => '600000',
  },
  SF_ADMIN_TOKEN: {
    schema: optional(
      z.string().refine(adminTokenRule.test, { error: adminTokenRule.message }),
    ),
    description: 'Bearer token for admin endpoints; when unset the server uses SF_HOME/admin-token, made on first start.',
    defaultText: '(unset)',
    secret: true,
  },
  SF_IMAGE_TAG: {
    schema: optional(z.string().refine(isImageReference, { error: 'must be an image reference such as registry/sf:1.2.3' })),
    description: 'The image this server runs from, as the deployer names it; shown by /api/version.',
    defaultText: '(unset)',
  },
  SF_IMAGE_DIGEST: {
    schema: optional(z.string().refine((v) => /^sha256:[0-9a-f]{64}$/.test(v), { error: 'must be sha256: followed by 64 hex digits' })),
    description: 'The digest of that image when the deployer knows it; shown by /api/version.',
    defaultText: '(unset)',
  },
  SF_IMAGE_SOURCE: {
    schema: optional(z.string().refine((v) => /^https?:\/\/\S+$/.test(v), { error: 'must be the http(s) URL of the source repository' })),
    description: 'The source repository npm run docker:build names in the org.opencontainers.image.source label.',
    defaultText: '(unset: no source label)',
  },
  SF_REGISTRY: {
    // host[:port] and an optional path, lower case, as docker names a repository.
    schema: optional(
      z.string().refine((v) => /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.test(v), {
        error: 'must be a registry host and optional path, lower case, such as forgejo.example:3000/sf (no scheme, no tag)',
      }),
    ),
    description: 'The OCI registry (host[:port][/path]) npm run publish-image pushes <SF_REGISTRY>/sf-server to; deploy-test and promote pull from it.',
    defaultText: '(unset: publish-image refuses)',
  },
  SF_REGISTRY_USER: {
    schema: optional(z.string().refine((v) => !/[\s:]/.test(v), { error: 'must be a user name without spaces or colons' })),
    description: 'User for SF_REGISTRY; with SF_REGISTRY_PASSWORD, used only for that registry and only while a command runs.',
    defaultText: '(unset: no login)',
    secret: true,
  },
  SF_REGISTRY_PASSWORD: {
    schema: optional(z.string()),
    description: 'Password or token for SF_REGISTRY_USER (a Forgejo secret in CI); never printed.',
    defaultText: '(unset)',
    secret: true,
  },
  SF_TARGETS: {
    schema: absolutePath,
    description: 'The targets file naming test and prod (kind kubernetes, by kubectl or gitops, or docker) that deploy-test and promote roll.',
    defaultText: 'deploy/targets.yaml',
    default: (ctx) => path.join(ctx.checkout, 'deploy', 'targets.yaml'),
  },
  SF_GIT_AUTHOR_NAME: {
    schema: z.string().refine((v) => v.trim() !== '' && !/[<>\n]/.test(v), { error: 'must be a name for git commits: not empty, no < > or line breaks' }),
    description: 'Who deploy-test and promote commit a digest to a gitops target\'s overlay as (with SF_GIT_AUTHOR_EMAIL).',
    defaultText: 'sf-promote',
    default: () => 'sf-promote',
  },
  SF_GIT_AUTHOR_EMAIL: {
    schema: z.string().refine((v) => /^[^\s<>@]+@[^\s<>@]+$/.test(v), { error: 'must be an address for git commits such as deploy@example.org' }),
    description: 'The address of those commits.',
    defaultText: 'sf-promote@localhost',
    default: () => 'sf-promote@localhost',
  },
  SF_VEGA_NAME: {
    schema: z.string().refine((v) => /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/.test(v), { error: 'must be a container name: letters, digits, _ . - (up to 63)' }),
    description: 'Name of the one shared vega server container (the upgrade candidate is <name>-candidate).',
    defaultText: 'sf-server-vega',
    default: () => 'sf-server-vega',
  },
  SF_VEGA_BIND: {
    // docker's --publish takes an address, not a name.
    schema: z.string().refine((v) => net.isIP(v) !== 0, { error: 'must be an IP address (127.0.0.1, a Tailscale address, ::1); docker publishes ports on addresses, not names' }),
    description: 'Host address the vega container publishes its port on; 0.0.0.0 only with SF_VEGA_ALLOW_PUBLIC=1.',
    defaultText: '127.0.0.1',
    default: () => '127.0.0.1',
  },
  SF_VEGA_PORT: {
    // The upgrade candidate takes the next port, so 65535 is not allowed.
    schema: z
      .string()
      .refine((v) => /^\d{1,5}$/.test(v) && Number(v) >= 1 && Number(v) <= 65534, { error: 'must be a whole number from 1 to 65534 (the upgrade candidate takes the next port)' })
      .transform(Number),
    description: 'Host port of the vega server (the candidate takes the next one up).',
    defaultText: '4000',
    default: () => '4000',
  },
  SF_VEGA_METRICS_PORT: {
    schema: optional(port),
    // +1 and +2 are the slots' probe ports; the next free one, so a host's ports for a site stay together.
    description: "Host port, on 127.0.0.1 whatever SF_VEGA_BIND is, of the front's Prometheus exporter (GET /metrics); the port holder publishes it. Apart from SF_VEGA_PORT and its two probe ports.",
    defaultText: 'SF_VEGA_PORT + 3 (unset past 65535)',
    default: (_ctx, resolved) => {
      const metrics = Number(resolved.SF_VEGA_PORT) + 3
      return resolved.SF_VEGA_PORT === undefined ? undefined : metrics <= 65535 ? String(metrics) : ''
    },
  },
  SF_VEGA_PROBE_HOST: {
    schema: optional(bindHost),
    description: 'Host the deploy scripts probe, when the bind address is not reachable from where they run.',
    defaultText: 'SF_VEGA_BIND (127.0.0.1 for 0.0.0.0)',
  },
  SF_VEGA_DRAIN_STOP_TIME: {
    schema: z
      .string()
      .refine((v) => /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 86_400, { error: 'must be a whole number of seconds from 1 to 86400' })
      .transform(Number),
    description: 'Seconds docker stop waits for the old server to drain before killing it (10 s over the 600 s grace).',
    defaultText: '610',
    default: () => '610',
  },
  SF_VEGA_ALLOW_PUBLIC: {
    schema: z.enum(['', '0', '1'], { error: 'must be 1 (allow) or 0 (refuse)' }).transform((v) => v === '1'),
    description: 'Set to 1 to allow binding 0.0.0.0, when a proxy or firewall owns access control.',
    defaultText: '0',
    default: () => '0',
  },
  SF_VEGA_IMAGE: {
    schema: z.string().refine(isImageReference, { error: 'must be an image reference such as sf-source-server:local' }),
    description: 'Tag of the source-server runtime image docker:vega:up builds and runs.',
    defaultText: 'sf-source-server:local',
    default: () => 'sf-source-server:local',
  },
  SF_BASE_IMAGE: {
    schema: optional(z.string().refine(isImageReference, { error: 'must be an image reference such as node:24-bookworm-slim' })),
    description: 'Base image for both Dockerfiles; unset: the official Node LTS slim image, or the local base when it cannot be pulled.',
    defaultText: '(unset)',
  },
  SF_VEGA_FRONT: {
    schema: z.enum(['none', 'haproxy'], { error: 'must be haproxy (a front proxy owns the port) or none (the server publishes it itself)' }),
    description: 'haproxy: a holder container owns SF_VEGA_BIND:SF_VEGA_PORT, a front proxy serves it, and upgrades switch traffic without a gap; none: the server container publishes the port itself.',
    defaultText: 'haproxy',
    default: () => 'haproxy',
  },
  SF_VEGA_FRONT_IMAGE: {
    schema: optional(z.string().refine(isImageReference, { error: 'must be an image reference such as haproxy:lts' })),
    description: 'Image of the front proxy; unset: the official haproxy LTS image, or a local one built from this host\'s haproxy when it cannot be pulled.',
    defaultText: '(unset)',
  },
  SF_ANALYSIS_MAX_5XX_PERCENT: {
    schema: decimal(0, 100, 'a percentage from 0 to 100, such as 5 or 0.5'),
    description: 'An upgrade switches back when more than this share of the new server\'s answers are 5xx, and more than the old server\'s (the probes are not counted).',
    defaultText: '5',
    default: () => '5',
  },
  SF_ANALYSIS_LATENCY_FACTOR: {
    schema: decimal(1, 1000, 'a factor from 1 to 1000, such as 3 or 1.5'),
    description: 'An upgrade switches back when the new server\'s p95 response time is over this factor of the old server\'s, and over SF_ANALYSIS_LATENCY_FLOOR_MS.',
    defaultText: '3',
    default: () => '3',
  },
  SF_ANALYSIS_LATENCY_FLOOR_MS: {
    schema: milliseconds,
    description: 'A p95 response time under this is never a reason to switch back, however it compares with the old server\'s.',
    defaultText: '100',
    default: () => '100',
  },
  SF_ANALYSIS_MIN_REQUESTS: {
    schema: wholeNumber(1, 1_000_000),
    description: 'Fewer requests than this to the new server in a canary step or the settle window: the numbers give no verdict and the probes decide ("inconclusive").',
    defaultText: '20',
    default: () => '20',
  },
  SF_ANALYSIS_BASELINE_SECONDS: {
    schema: wholeNumber(1, 86_400),
    description: 'How far back before the switch the old server\'s answers make the baseline the new server is judged against.',
    defaultText: '60',
    default: () => '60',
  },
  SF_DEPLOY_MODE: {
    schema: z.enum(['push', 'pull'], { error: 'must be push (roll each target from here) or pull (move the channel and wait for the hosts that follow it)' }),
    description: 'How deploy-test and promote reach docker targets: push rolls each from this machine (its engine must be here); pull moves the channel tag and waits for each host\'s controller (as --wait).',
    defaultText: 'push',
    default: () => 'push',
  },
  SF_CONTROLLER_INTERVAL: {
    schema: wholeNumber(1, 3600),
    description: "Seconds between a host controller's checks of its channel (one HEAD to the registry each), with up to 20% jitter; an unreachable registry is asked again after twice as long each time, up to 10 intervals.",
    defaultText: '15',
    default: () => '15',
  },
  SF_DOCKER_SOCKET: {
    schema: absolutePath,
    description: "The engine's socket, mounted into the vega container; its group id is added to the container.",
    defaultText: '/var/run/docker.sock',
    default: () => '/var/run/docker.sock',
  },
  SF_SOURCE_HOST_ROOT: {
    schema: optional(absolutePath),
    description: 'Inside a vega container: the host path of the checkout at /opt/sf (set by docker:vega:up).',
    defaultText: '(unset)',
  },
  SF_WORKSPACE_HOST_DIR: {
    schema: optional(absolutePath),
    description: 'Inside a vega container: the host path of /workspace (set by docker:vega:up).',
    defaultText: '(unset)',
  },
  SF_WORKSPACES_HOST_DIR: {
    schema: optional(absolutePath),
    description: 'Inside a vega container: the host path of /workspaces (set by docker:vega:up).',
    defaultText: '(unset)',
  },
  SF_HOME_HOST_DIR: {
    schema: optional(absolutePath),
    description: 'Inside a vega container: the host path of SF_HOME (set by docker:vega:up).',
    defaultText: '(unset)',
  },
} satisfies Record<string, Variable>

export type SfVariable = keyof typeof sfVariables
export type SfConfig = { [K in SfVariable]: z.output<(typeof sfVariables)[K]['schema']> }

export function isBindHost(value: string): boolean {
  if (net.isIP(value) !== 0) return true
  const labels = value.split('.')
  if (labels.every((l) => /^\d+$/.test(l))) return false // looks like an address but is not one
  if (/^\d+$/.test(labels[labels.length - 1] ?? '')) return false
  return value.length <= 253 && labels.every((l) => /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(l))
}

function existsAsNonDirectory(p: string): boolean {
  try {
    return !fs.statSync(p).isDirectory()
  } catch {
    return false
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory()
  } catch {
    return false
  }
}
