// npm run controller -- --target NAME [--once]: this host's deployment controller in the foreground:
// it follows the channel of the docker target NAME (test or prod, its place in SF_TARGETS) and rolls
// the digest the channel names through the target's front. The installed controller (controller:install)
// runs this same file, bundled, with --installed.
import { runEntry } from '../lib/cli.ts'
import { controllerTarget, homeVolumeDir, parseControllerArgs, withSavedCredentials } from '../lib/controller/cli.ts'
import { runController } from '../lib/controller/loop.ts'
import { loadEnv, readConfig } from '../lib/env.ts'
import { gitState } from '../lib/git.ts'
import { repoRoot } from '../lib/paths.ts'
import { createProgress } from '../lib/progress.ts'

await runEntry(async () => {
  const args = parseControllerArgs(process.argv.slice(2), 'controller')
  const env = process.env
  const loaded = readConfig(loadEnv(env, repoRoot), { checkout: repoRoot })
  const { target, channel } = controllerTarget(args, loaded, env)
  const config = withSavedCredentials(loaded, target.name)
  const commit = env.SF_CONTROLLER_COMMIT ?? (await gitState(repoRoot).then((g) => g.commit, () => null))
  const publishDir = args.installed ? env.SF_CONTROLLER_PUBLISH_DIR : ((await homeVolumeDir(target.name, env)) ?? undefined)
  const stop = new AbortController()
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => stop.abort(signal))
  const state = await runController({ target, channel, env, config, progress: createProgress(), commit, container: env.SF_CONTROLLER_CONTAINER, once: args.once, publishDir, probeTimeoutMs: args.probeTimeoutMs, signal: stop.signal })
  if (args.once) process.stdout.write(`${JSON.stringify(state, null, 2)}\n`)
})
