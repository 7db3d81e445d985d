// Every docker command as an argument array. Pure: these only build arrays (unit tests compare them
// exactly); engine.ts runs them.

export interface BuildSpec {
  dockerfile: string
  context: string
  tag: string
  buildArgs: Record<string, string>
  labels: Record<string, string>
}

export function buildArgs(spec: BuildSpec): string[] {
  return [
    'build',
    '--file',
    spec.dockerfile,
    '--tag',
    spec.tag,
    ...pairs('--build-arg', spec.buildArgs),
    ...pairs('--label', spec.labels),
    spec.context,
  ]
}

/** Prints one Go template of an image's metadata; exits non-zero when the image does not exist. */
export function imageInspectArgs(image: string, format: string): string[] {
  return ['image', 'inspect', '--format', format, image]
}

export function pullArgs(image: string): string[] {
  return ['pull', '--quiet', image]
}

export function tagArgs(image: string, tag: string): string[] {
  return ['tag', image, tag]
}

export function pushArgs(tag: string, options: { quiet?: boolean } = {}): string[] {
  return ['push', ...(options.quiet ? ['--quiet'] : []), tag]
}

/** Exits 0 exactly when the image exists locally (prints its id). */
export function imageExistsArgs(image: string): string[] {
  return imageInspectArgs(image, '{{.Id}}')
}

/** Image ids (one a line) carrying every given label. */
export function imagesWithLabelsArgs(labels: Record<string, string>): string[] {
  return ['image', 'ls', '--quiet', '--no-trunc', ...labelFilters(labels)]
}

export function removeImagesArgs(images: readonly string[]): string[] {
  return ['image', 'rm', '--force', ...images]
}

export interface Mount {
  /** A host path, or the name of a volume when `volume` is set. */
  source: string
  target: string
  readOnly?: boolean
  /** A named volume the engine keeps (created on first use), not a host folder. */
  volume?: boolean
}

export interface RunSpec {
  image: string
  /** Arguments after the image: the command, or arguments to the image's entrypoint. */
  command?: readonly string[]
  name?: string
  /** Remove the container when it exits (--rm). */
  remove?: boolean
  user?: string
  workdir?: string
  /** `none` cuts the container off every network. */
  network?: string
  /** Share the host's pid namespace (to read a host pid's /proc entry). */
  pid?: 'host'
  env?: Record<string, string>
  labels?: Record<string, string>
  mounts?: readonly Mount[]
}

/** `docker run` in the foreground: its output is the container's, its exit code the command's. */
export function runArgs(spec: RunSpec): string[] {
  return [
    'run',
    ...(spec.remove ? ['--rm'] : []),
    ...(spec.name ? ['--name', spec.name] : []),
    ...pairs('--label', spec.labels ?? {}),
    ...(spec.user ? ['--user', spec.user] : []),
    ...(spec.workdir ? ['--workdir', spec.workdir] : []),
    ...(spec.network ? ['--network', spec.network] : []),
    ...(spec.pid ? ['--pid', spec.pid] : []),
    ...pairs('--env', spec.env ?? {}),
    ...(spec.mounts ?? []).flatMap((m) => ['--volume', `${m.source}:${m.target}${m.readOnly ? ':ro' : ''}`]),
    spec.image,
    ...(spec.command ?? []),
  ]
}

/** Container ids (one a line), running or not, carrying every given label. */
export function containersWithLabelsArgs(labels: Record<string, string>): string[] {
  return ['container', 'ls', '--all', '--quiet', '--no-trunc', ...labelFilters(labels)]
}

export function removeContainersArgs(containers: readonly string[]): string[] {
  return ['container', 'rm', '--force', '--volumes', ...containers]
}

function pairs(flag: string, values: Record<string, string>): string[] {
  return Object.entries(values).flatMap(([key, value]) => [flag, `${key}=${value}`])
}

function labelFilters(labels: Record<string, string>): string[] {
  return Object.entries(labels).flatMap(([key, value]) => ['--filter', `label=${key}=${value}`])
}

// ---- long-running containers ----

export interface PortBinding {
  /** Host address the port is published on. */
  bind: string
  hostPort: number
  containerPort: number
}

/** A long-running container, defined once and rendered into `docker run` (and checked against compose). */
export interface ContainerSpec {
  name: string
  image: string
  command: readonly string[]
  env: Record<string, string>
  /** Bind mounts (`--mount` refuses a missing source instead of creating it as root), or named volumes. */
  mounts: readonly Mount[]
  ports: readonly PortBinding[]
  groupAdd: readonly string[]
  restart: 'no' | 'unless-stopped'
  stopSignal: string
  /** Seconds `docker stop` waits before SIGKILL. */
  stopTimeout: number
  labels: Record<string, string>
  /** A user-defined network to join, and the names it answers to there (omitted: the default bridge). */
  network?: { name: string; aliases: readonly string[] }
  /** Run as this user instead of the image's. */
  user?: string
  /** Working directory inside the container (omitted: the image's). */
  workdir?: string
  /** Share the host's pid namespace, so its pids mean the same inside and out. */
  pid?: 'host'
  /** Remove the container when it exits (--rm; only with restart 'no'). */
  remove?: boolean
}

/** `docker run --detach` for a long-running container. */
export function runDetachedArgs(spec: ContainerSpec): string[] {
  return [
    'run',
    '--detach',
    ...(spec.remove ? ['--rm'] : []),
    '--name',
    spec.name,
    '--restart',
    spec.restart,
    '--stop-signal',
    spec.stopSignal,
    '--stop-timeout',
    String(spec.stopTimeout),
    ...(spec.user ? ['--user', spec.user] : []),
    ...(spec.workdir ? ['--workdir', spec.workdir] : []),
    ...(spec.pid ? ['--pid', spec.pid] : []),
    ...(spec.network ? ['--network', spec.network.name, ...spec.network.aliases.flatMap((a) => ['--network-alias', a])] : []),
    ...spec.groupAdd.flatMap((g) => ['--group-add', g]),
    ...spec.ports.flatMap((p) => ['--publish', `${p.bind}:${p.hostPort}:${p.containerPort}`]),
    ...pairs('--env', spec.env),
    ...spec.mounts.flatMap((m) => ['--mount', `type=${m.volume ? 'volume' : 'bind'},source=${m.source},target=${m.target}${m.readOnly ? ',readonly' : ''}`]),
    ...pairs('--label', spec.labels),
    spec.image,
    ...spec.command,
  ]
}

/** Drain: SIGTERM (the image's stop signal), then SIGKILL after `seconds`; returns as soon as it exits. */
export function stopArgs(name: string, seconds: number): string[] {
  return ['stop', '--time', String(seconds), name]
}

export function removeContainerArgs(name: string, options: { force?: boolean } = {}): string[] {
  return ['rm', ...(options.force ? ['--force'] : []), name]
}

/** JSON of one container; exits non-zero when there is none by that name. */
export function containerInspectArgs(name: string): string[] {
  return ['container', 'inspect', name]
}

export function logsArgs(name: string, tail: number): string[] {
  return ['logs', '--tail', String(tail), name]
}

/** Send a signal to a container's main process (haproxy reloads on SIGUSR2). */
export function killArgs(name: string, signal: string): string[] {
  return ['kill', '--signal', signal, name]
}

export function renameArgs(from: string, to: string): string[] {
  return ['rename', from, to]
}

export function startArgs(name: string): string[] {
  return ['start', name]
}

/** Stop (the image's stop signal, SIGKILL after `seconds`) and start again, same container. */
export function restartArgs(name: string, seconds: number): string[] {
  return ['restart', '--time', String(seconds), name]
}

export function execArgs(name: string, command: readonly string[]): string[] {
  return ['exec', name, ...command]
}

/** The value of `label` on every container (any state) that carries it, one a line. */
export function containerLabelValuesArgs(label: string): string[] {
  return ['container', 'ls', '--all', '--filter', `label=${label}`, '--format', `{{.Label "${label}"}}`]
}

/** Containers (any state) publishing `hostPort`, as `name<TAB>ports` lines. */
export function containersPublishingArgs(hostPort: number): string[] {
  return ['container', 'ls', '--all', '--filter', `publish=${hostPort}`, '--format', '{{.Names}}\t{{.Ports}}']
}

/** A user-defined bridge network, labelled so that the toolkit can tell its own. */
export function networkCreateArgs(name: string, labels: Record<string, string>): string[] {
  return ['network', 'create', '--driver', 'bridge', ...pairs('--label', labels), name]
}

/** Exits non-zero when there is no network by that name. */
export function networkInspectArgs(name: string): string[] {
  return ['network', 'inspect', '--format', '{{json .Labels}}', name]
}

export function networkRemoveArgs(name: string): string[] {
  return ['network', 'rm', name]
}

export function volumeRemoveArgs(name: string): string[] {
  return ['volume', 'rm', name]
}

/** Change a running container's restart policy (a proven candidate becomes prod without a restart). */
export function updateRestartArgs(name: string, policy: ContainerSpec['restart']): string[] {
  return ['update', '--restart', policy, name]
}

/** The engine's own name (its host's hostname). */
export function engineNameArgs(): string[] {
  return ['info', '--format', '{{.Name}}']
}
