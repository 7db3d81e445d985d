// Reading the environment: the checkout's .env under the real one, every SF_* variable resolved and
// validated at once against lib/env-variables.ts. Functions take `env` as a parameter so tests pass a
// plain object and never touch process.env.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parse as parseDotenv } from 'dotenv'
import { sfVariables, type Env, type EnvContext, type SfConfig, type SfVariable, type Variable } from './env-variables.ts'
import { ConfigError } from './errors.ts'

export type { Env, EnvContext, SfConfig, SfVariable }

export interface ConfigProblem {
  variable: string
  value: string
  /** The value was the default, not given. */
  defaulted: boolean
  message: string
}

/** `SF_WEB_PORT="70000": must be ...`, or `--port "70000" (SF_WEB_PORT): ...` when a flag gave it. */
export function formatProblem(p: ConfigProblem, labels: Partial<Record<string, string>> = {}): string {
  const value = JSON.stringify(p.value)
  const label = labels[p.variable]
  const source = p.defaulted ? ` (default: ${sfVariables[p.variable as SfVariable]?.defaultText})` : ''
  return `${label ? `${label} ${value} (${p.variable})` : `${p.variable}=${value}`}${source}: ${p.message}`
}

/**
 * Resolve and validate every SF_* variable. Throws one ConfigError naming every bad variable, the
 * value given and what is allowed; `labels` names the flags some variables came from. An empty value
 * means unset, except for the variables in `explicit` (given by a flag: `--port ''` is a bad port).
 */
export function readConfig(env: Env, ctx: EnvContext, labels: Partial<Record<SfVariable, string>> = {}, explicit: ReadonlySet<string> = new Set()): SfConfig {
  const full = { home: ctx.home ?? env.HOME ?? os.homedir(), checkout: ctx.checkout }
  const resolved: Env = {}
  const config: Record<string, unknown> = {}
  const problems: ConfigProblem[] = []
  let dependentSkipped = false
  for (const [name, variable] of Object.entries(sfVariables) as [string, Variable][]) {
    const given = env[name]
    const defaulted = given === undefined || (given === '' && !explicit.has(name))
    const raw = defaulted ? (variable.default ? variable.default(full, resolved) : '') : given
    if (raw === undefined) {
      dependentSkipped = true // its default needs a variable already reported as bad
      continue
    }
    const result = variable.schema.safeParse(raw)
    if (result.success) {
      config[name] = result.data
      resolved[name] = result.data === undefined ? undefined : String(result.data)
    } else {
      problems.push({ variable: name, value: raw, defaulted, message: result.error.issues[0]?.message ?? 'is invalid' })
    }
  }
  if (problems.length > 0 || dependentSkipped) {
    const lines = problems.map((p) => formatProblem(p, labels))
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`, lines)
  }
  return config as SfConfig
}

/**
 * The process environment over the SF_* variables of the checkout's .env file: a variable set in the
 * environment wins. Other names in .env are left out (envWarnings names them): the file configures
 * SF, and must not hand the web host NODE_OPTIONS or the like.
 */
export function loadEnv(env: Env, checkout: string): Env {
  const fromFile = Object.fromEntries(Object.entries(readDotenv(checkout)).filter(([name]) => name.startsWith('SF_')))
  return { ...fromFile, ...env }
}

/** Variables SF reads that are not configuration. */
const otherSfVariables = ['SF_VERBOSE']

/** What is worth a warning in the environment: names in .env that are ignored, SF_* names SF does not read. */
export function envWarnings(env: Env, checkout: string): string[] {
  const fromFile = readDotenv(checkout)
  const file = path.join(checkout, '.env')
  const warnings = Object.keys(fromFile)
    .filter((name) => !name.startsWith('SF_'))
    .map((name) => `${file}: ${name} is ignored: .env holds SF_* variables only; set it in the environment if the server needs it`)
  const known = [...Object.keys(sfVariables), ...otherSfVariables]
  for (const name of new Set([...Object.keys(fromFile), ...Object.keys(env)])) {
    if (!name.startsWith('SF_') || known.includes(name)) continue
    const [closest] = known.map((k) => [k, editDistance(name, k)] as const).sort((a, b) => a[1] - b[1])
    const from = name in env ? '' : ' (from .env)'
    const hint = closest && closest[1] <= 3 ? `did you mean ${closest[0]}?` : 'see the configuration table in README.md'
    warnings.push(`${name}${from} is not a variable SF reads: ${hint}`)
  }
  return warnings
}

/** The checkout's .env file, parsed; empty when there is none. */
function readDotenv(checkout: string): Env {
  const file = path.join(checkout, '.env')
  try {
    return parseDotenv(fs.readFileSync(file))
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return {}
    if (code === 'EISDIR') throw new ConfigError(`${file} is a directory: .env must be a file of NAME=value lines; move the directory away`)
    throw new ConfigError(`${file} cannot be read (${code ?? (error as Error).message}): make it readable, or move it away`)
  }
}

/** Levenshtein distance, for naming the variable a misspelled one was meant to be. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    row = next
  }
  return row[b.length]!
}
