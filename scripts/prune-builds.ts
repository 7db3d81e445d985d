// npm run prune-builds [-- --keep N --dry-run]: remove staged builds nothing needs any more.
import { parseArgs } from 'node:util'
import { flagsOrConfigError, runEntry } from '../lib/cli.ts'
import { loadEnv, readConfig } from '../lib/env.ts'
import { ConfigError } from '../lib/errors.ts'
import { repoRoot } from '../lib/paths.ts'
import { pruneBuilds } from '../lib/vega/prune.ts'

await runEntry(async () => {
  const { values } = flagsOrConfigError(() => parseArgs({ options: { keep: { type: 'string' }, 'dry-run': { type: 'boolean' }, verbose: { type: 'boolean' } } }))
  const keep = Number(values.keep ?? '3')
  if (!Number.isInteger(keep) || keep < 1) throw new ConfigError(`--keep ${JSON.stringify(values.keep)}: must be a whole number of builds, 1 or more`)
  const config = readConfig(loadEnv(process.env, repoRoot), { checkout: repoRoot })
  const plan = await pruneBuilds({ root: repoRoot, env: process.env, sfHome: config.SF_HOME, keep, dryRun: values['dry-run'] })
  for (const k of plan.keep) process.stderr.write(`keep   ${k.buildId}: ${k.why.join(', ')}\n`)
  for (const id of plan.remove) process.stderr.write(`${values['dry-run'] ? 'would remove' : 'remove'} ${id}\n`)
  process.stdout.write(JSON.stringify(plan) + '\n')
})
