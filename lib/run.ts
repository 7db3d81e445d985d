// The one seam for running programs (git, npm, next, later docker): arguments as arrays, no shell.
import { spawn } from 'node:child_process'
import { CommandError } from './errors.ts'
import type { Env } from './env.ts'

export interface RunOptions {
  cwd?: string
  env?: Env
  /** Called with each output line as it arrives, to show progress. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void
  /** Resolve with the result instead of throwing when the exit code is not 0. */
  allowFailure?: boolean
  /** Stop the program when this aborts: SIGTERM, then SIGKILL if it has not exited 5 s later. */
  signal?: AbortSignal
}

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(new CommandError(`${command} was not started: stopped by ${String(options.signal.reason)}`, null, ''))
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: (options.env ?? process.env) as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const out = { stdout: '', stderr: '' }
    for (const stream of ['stdout', 'stderr'] as const) {
      let partial = ''
      child[stream].setEncoding('utf8').on('data', (chunk: string) => {
        out[stream] += chunk
        if (!options.onLine) return
        const lines = (partial + chunk).split('\n')
        partial = lines.pop() ?? ''
        for (const line of lines) options.onLine(line, stream)
      })
      child[stream].on('end', () => partial && options.onLine?.(partial, stream))
    }
    const stop = () => {
      child.kill('SIGTERM')
      setTimeout(() => child.kill('SIGKILL'), 5000).unref()
    }
    options.signal?.addEventListener('abort', stop, { once: true })
    child.on('close', () => options.signal?.removeEventListener('abort', stop))
    child.on('error', (error) =>
      reject(new CommandError(`could not run ${command}: ${error.message}`, null, '')),
    )
    child.on('close', (code) => {
      const result = { code, ...out }
      if (code === 0 || options.allowFailure) return resolve(result)
      const tail = (out.stderr.trim() || out.stdout.trim()).split('\n').slice(-15).join('\n')
      reject(new CommandError(`${[command, ...args].join(' ')} exited with ${code}:\n${tail}`, code, out.stderr + out.stdout))
    })
  })
}
