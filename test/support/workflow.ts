// The build authority's workflow as a list: the npm scripts its `run:` steps name, job after job, in
// the file's order, so a test runs the chain exactly as Forgejo would.
import fs from 'node:fs'
import path from 'node:path'
import { parse as parseYaml } from 'yaml'
import { repoRoot } from '../../lib/paths.ts'

export const workflowFile = path.join(repoRoot, '.forgejo', 'workflows', 'self-deploy.yml')

type Workflow = { jobs: Record<string, { steps: { run?: string }[] }> }

/** `[job, script]` for every `npm run <script>` step (the installs left out), in order. */
export function workflowScripts(file = workflowFile): [string, string][] {
  const workflow = parseYaml(fs.readFileSync(file, 'utf8')) as Workflow
  return Object.entries(workflow.jobs).flatMap(([job, { steps }]) =>
    steps.flatMap((step) => {
      const script = /^npm run ([\w:.-]+)$/.exec(step.run?.trim() ?? '')?.[1]
      return script ? [[job, script] as [string, string]] : []
    }),
  )
}
