// A real OCI registry on this machine: Debian's docker-registry on 127.0.0.1 and a free port, with a
// config and storage of its own in `dir`, no auth. Docker treats 127.0.0.0/8 as an insecure registry,
// so the engine pushes to it over plain http. Its output carries an access log, one line a request,
// so what a client asked of it can be counted without trusting the client's own count.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { freePort } from '../ports.ts'
import { waitFor } from '../probe.ts'

export interface LocalRegistry {
  /** host:port, as SF_REGISTRY takes it (with a path added). */
  address: string
  url: string
  /** What it printed so far: its warnings, errors and access log. */
  output(): string
  /** Stop serving, keeping the port's address and the stored images: an outage. */
  pause(): Promise<void>
  /** Serve again on the same address, with the same images. */
  resume(): Promise<void>
  /** Stop it and remove `dir`. */
  stop(): Promise<void>
}

export const registryBinary = '/usr/bin/docker-registry'

export async function startRegistry(dir: string): Promise<LocalRegistry> {
  fs.mkdirSync(dir, { recursive: true })
  const port = await freePort()
  const address = `127.0.0.1:${port}`
  const config = path.join(dir, 'config.yml')
  fs.writeFileSync(
    config,
    [
      'version: 0.1',
      'log: {level: warn}',
      'storage:',
      `  filesystem: {rootdirectory: ${path.join(dir, 'data')}}`,
      '  delete: {enabled: true}',
      'http:',
      `  addr: ${address}`,
      '',
    ].join('\n'),
  )
  const url = `http://${address}`
  let output = ''
  let child: ChildProcess | null = null
  let exited = Promise.resolve()
  const pause = async () => {
    child?.kill('SIGTERM')
    await exited
    child = null
  }
  const stop = async () => {
    await pause()
    fs.rmSync(dir, { recursive: true, force: true })
  }
  const resume = async () => {
    const started = spawn(registryBinary, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] })
    child = started
    started.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    started.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    exited = new Promise<void>((resolve) => started.once('close', () => resolve()))
    await waitFor(`${url}/v2/`, { deadlineMs: 15_000, abortIf: () => (started.exitCode !== null ? `docker-registry exited with ${started.exitCode}: ${output}` : null) })
  }
  try {
    await resume()
  } catch (error) {
    await stop()
    throw error
  }
  return { address, url, output: () => output, pause, resume, stop }
}

export interface AccessLogLine {
  method: string
  path: string
  status: number
  userAgent: string
}

/** The requests in the registry's access log (combined log format: `127.0.0.1 - - [time] "HEAD /v2/… HTTP/1.1" 200 0 "" "undici"`). Pure. */
export function accessLog(output: string): AccessLogLine[] {
  const line = /^\S+ \S+ \S+ \[[^\]]*\] "(\S+) (\S+) [^"]*" (\d{3}) \S+ "[^"]*" "([^"]*)"$/
  return output.split('\n').flatMap((text) => {
    const m = line.exec(text.trim())
    return m ? [{ method: m[1]!, path: m[2]!, status: Number(m[3]), userAgent: m[4]! }] : []
  })
}
