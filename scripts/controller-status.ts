// npm run controller:status -- --target NAME [--json]: what this host's controller of NAME reports: the
// channel and its digest, what serves and since when, the last check and rollout, the digests refused here.
import { runEntry } from '../lib/cli.ts'
import { parseControllerArgs } from '../lib/controller/cli.ts'
import { findControllerTarget } from '../lib/controller/setup.ts'
import { controllerStatus, formatControllerStatus } from '../lib/controller/status.ts'
import { loadEnv, readConfig } from '../lib/env.ts'
import { readTargets } from '../lib/authority/targets.ts'
import { repoRoot } from '../lib/paths.ts'

await runEntry(async () => {
  const args = parseControllerArgs(process.argv.slice(2), 'controller:status')
  const config = readConfig(loadEnv(process.env, repoRoot), { checkout: repoRoot })
  const { target } = findControllerTarget(readTargets(config.SF_TARGETS), args.target!, config.SF_TARGETS)
  const status = await controllerStatus(config.SF_HOME, target.name, process.env)
  process.stdout.write(`${args.json ? JSON.stringify(status, null, 2) : formatControllerStatus(status)}\n`)
  return status.runs.running ? 0 : 1
})
