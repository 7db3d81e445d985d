// The loader: `node dist/loader.js server <workspace> --host H --port P` validates the configuration,
// finds the staged web host and runs it as a child with SF_* set, forwarding signals and exiting with
// the host's status.
import { spawn } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { dotenvOrigins, envWarnings, loadEnv, readConfig, type Env, type SfConfig } from '../env.ts'
import { BuildError, ConfigError } from '../errors.ts'
import { manifestMismatch, readManifest } from '../release/manifest.ts'
import { distPaths } from '../paths.ts'
import { listenProblem } from '../ports.ts'
import { currentWebHost } from '../release/web-host.ts'

export const loaderUsage = `usage: node dist/loader.js server <workspace> [--host H] [--port P]

Starts the staged SF web host (dist/web/standalone/server.js) for <workspace>.

  <workspace>   the repo the server controls (SF_WORKSPACE_DIR); relative paths are taken from the cwd
  --host H      address to bind (SF_WEB_HOST, default 127.0.0.1)
  --port P      port to listen on (SF_WEB_PORT, default 4000)
  --help        show this help

The host gets SF_RELEASE_MANIFEST, SF_WEB_PROJECT_CWD, SF_WEB_HOST and SF_WEB_PORT. SIGTERM or SIGINT
drain it: /api/ready answers 503 at once, running work finishes, and it exits 0 when done, or 1 at
SF_RPC_SHUTDOWN_GRACE_MS (default 600000). Other SF_* variables are read from the environment and
the checkout's .env (see README.md).`


/** The names a problem is reported under when it came from a flag. */
const flagNames = { SF_WORKSPACE_DIR: '<workspace>', SF_WEB_HOST: '--host', SF_WEB_PORT: '--port' } as const

export interface LoaderPlan {
  config: SfConfig
  serverJs: string
  /** The environment the web host runs with. */
  env: Env
  warnings: string[]
}

/** Validate everything and work out what to run, changing nothing. Returns null for --help. */
export async function planServer(argv: string[], env: Env, distDir: string): Promise<LoaderPlan | null> {
  let parsed
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { host: { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean' }, verbose: { type: 'boolean' } } })
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n\n${loaderUsage}`)
  }
  if (parsed.values.help) return null
  const [command, workspace, ...extra] = parsed.positionals
  if (command !== 'server' || !workspace || extra.length > 0) {
    throw new ConfigError(`expected: server <workspace>; got: ${parsed.positionals.join(' ') || '(nothing)'}\n\n${loaderUsage}`)
  }

  const checkout = path.dirname(distDir)
  const flags: Env = {
    SF_WORKSPACE_DIR: path.resolve(workspace),
    ...(parsed.values.host !== undefined && { SF_WEB_HOST: parsed.values.host }),
    ...(parsed.values.port !== undefined && { SF_WEB_PORT: parsed.values.port }),
  }
  const given: Env = { ...loadEnv(env, checkout), ...flags }
  // The web host sees the workspace under its own name; the loader sets it.
  delete given.SF_WEB_PROJECT_CWD
  // A problem names where its value came from: the flag, the .env file, or (unmarked) the environment.
  const origins = {
    ...dotenvOrigins(env, checkout),
    ...Object.fromEntries(Object.keys(flags).map((name) => [name, { flag: flagNames[name as keyof typeof flagNames] }])),
  }
  const config = readConfig(given, { checkout }, origins)

  const pinned = config.SF_WEB_BUILD_ID
  const host = await currentWebHost(pinned ? path.join(distPaths(checkout).webBuilds, pinned, 'web') : distPaths(checkout).webStandalone, { verifyDigest: false })
  const warnings = envWarnings(env, checkout)
  const publicBind = publicBindWarning(config)
  if (publicBind) warnings.push(publicBind)
  const manifest = readManifest(config.SF_RELEASE_MANIFEST)
  if (!manifest) {
    warnings.push(`no release manifest at ${config.SF_RELEASE_MANIFEST}: /api/version will answer 503 (run npm run write-manifest)`)
  } else {
    const mismatch = manifestMismatch(manifest, host, config.SF_RELEASE_MANIFEST)
    if (mismatch) throw new BuildError(`${mismatch}: run npm run write-manifest so /api/version tells the truth`)
  }
  await assertPortFree(config.SF_WEB_HOST, config.SF_WEB_PORT)

  const hostEnv: Env = {
    ...given,
    NODE_ENV: 'production',
    NEXT_TELEMETRY_DISABLED: '1',
    // Resolved here, so the host reads exactly what was checked.
    SF_HOME: config.SF_HOME,
    SF_WORKSPACE_DIR: config.SF_WORKSPACE_DIR,
    SF_WORKSPACES_DIR: config.SF_WORKSPACES_DIR,
    SF_RPC_SHUTDOWN_GRACE_MS: String(config.SF_RPC_SHUTDOWN_GRACE_MS),
    SF_RELEASE_MANIFEST: config.SF_RELEASE_MANIFEST,
    SF_WEB_BUILD_ID: host.buildId,
    SF_WEB_PROJECT_CWD: config.SF_WORKSPACE_DIR,
    SF_WEB_HOST: config.SF_WEB_HOST,
    SF_WEB_PORT: String(config.SF_WEB_PORT),
    // What Next's standalone server reads.
    HOSTNAME: config.SF_WEB_HOST,
    PORT: String(config.SF_WEB_PORT),
    // Next must leave SIGTERM/SIGINT to the drain (web/server/lifecycle.ts).
    NEXT_MANUAL_SIG_HANDLE: 'true',
  }
  return { config, serverJs: host.serverJs, env: hostEnv, warnings }
}

const anyAddress = new Set(['0.0.0.0', '::'])

/**
 * Binding every interface is what SF_VEGA_BIND refuses without SF_VEGA_ALLOW_PUBLIC=1. The loader
 * warns rather than refuses: inside a container it binds 0.0.0.0 by design, and the published port
 * decides who can reach it.
 */
export function publicBindWarning(config: Pick<SfConfig, 'SF_WEB_HOST' | 'SF_VEGA_ALLOW_PUBLIC'>): string | null {
  if (!anyAddress.has(config.SF_WEB_HOST) || config.SF_VEGA_ALLOW_PUBLIC) return null
  return `--host ${JSON.stringify(config.SF_WEB_HOST)} binds every interface: anyone who can reach this machine can use the server. Bind 127.0.0.1 or a private address (--host), or set SF_VEGA_ALLOW_PUBLIC=1 when a proxy or firewall owns access control (inside a container, the published port decides)`
}

/** Run the web host until it exits; resolves with the exit code to pass on. */
export function runServer(plan: LoaderPlan): Promise<number> {
  for (const warning of plan.warnings) process.stderr.write(`warning: ${warning}\n`)
  // Its own process group, so a terminal's Ctrl-C reaches it once (through us), not twice; the IPC
  // channel lets it drain and exit if the loader is killed.
  const child = spawn(process.execPath, [plan.serverJs], {
    cwd: path.dirname(plan.serverJs),
    env: plan.env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    detached: true,
  })
  process.stderr.write(`sf loader: web host pid ${child.pid} from ${plan.serverJs} on http://${plan.config.SF_WEB_HOST}:${plan.config.SF_WEB_PORT} for ${plan.config.SF_WORKSPACE_DIR}\n`)
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal)
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP']
  const handlers = signals.map((s) => [s, forward(s)] as const)
  for (const [s, h] of handlers) process.on(s, h)
  return new Promise((resolve, reject) => {
    child.on('error', (error) => reject(new BuildError(`could not start ${plan.serverJs}: ${error.message}`)))
    child.on('exit', (code, signal) => {
      for (const [s, h] of handlers) process.off(s, h)
      resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 0))
    })
  })
}

/** Refuse early, with the fix, when the address cannot be bound. */
async function assertPortFree(host: string, port: number): Promise<void> {
  const code = await listenProblem(host, port)
  if (code === null) return
  throw new ConfigError(
    code === 'EADDRINUSE'
      ? `port ${port} on ${host} is already in use: stop what holds it (ss -ltnp 'sport = :${port}') or pass --port`
      : code === 'EADDRNOTAVAIL'
        ? `${host} is not an address of this machine: pass --host with one of its addresses (127.0.0.1 for loopback)`
        : `cannot listen on ${host}:${port} (${code})`,
  )
}
