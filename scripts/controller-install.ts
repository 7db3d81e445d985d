// npm run controller:install -- --target NAME [--image TAG]: install (or replace) this host's controller
// of the docker target NAME as the container NAME-controller, from an image of this checkout's commit.
import { runEntry } from '../lib/cli.ts'
import { controllerTarget, parseControllerArgs } from '../lib/controller/cli.ts'
import { installController } from '../lib/controller/install.ts'
import { formatControllerStatus } from '../lib/controller/status.ts'
import { loadEnv, readConfig } from '../lib/env.ts'
import { repoRoot } from '../lib/paths.ts'
import { createProgress } from '../lib/progress.ts'

await runEntry(async () => {
  const args = parseControllerArgs(process.argv.slice(2), 'controller:install')
  const config = readConfig(loadEnv(process.env, repoRoot), { checkout: repoRoot })
  const installed = controllerTarget(args, config, process.env)
  const done = await installController({ root: repoRoot, env: process.env, config, progress: createProgress(), installed, image: args.image })
  process.stdout.write(`${formatControllerStatus({ target: installed.target.name, runs: { container: done.container, running: true, holder: null }, state: done.state })}\n`)
})
