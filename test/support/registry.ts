// A real OCI registry for container tests: Debian's docker-registry on 127.0.0.1 and a free port,
// with a config and storage of its own in a temp dir, no auth. Docker treats 127.0.0.0/8 as an
// insecure registry, so the engine pushes to it over plain http.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { waitFor } from '../../lib/probe.ts'
import { freePort, tempDir } from './server.ts'

export interface TestRegistry {
  /** host:port, as SF_REGISTRY takes it (with a path added). */
  address: string
  url: string
  output(): string
  stop(): Promise<void>
}

export async function startRegistry(): Promise<TestRegistry> {
  const dir = tempDir('registry')
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
  const child = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()))
  const stop = async () => {
    child.kill('SIGTERM')
    await exited
    fs.rmSync(dir, { recursive: true, force: true })
  }
  const url = `http://${address}`
  try {
    await waitFor(`${url}/v2/`, { deadlineMs: 15_000, abortIf: () => (child.exitCode !== null ? `docker-registry exited with ${child.exitCode}: ${output}` : null) })
  } catch (error) {
    await stop()
    throw error
  }
  return { address, url, output: () => output, stop }
}
