// A real OCI registry for process and container tests: Debian's docker-registry on 127.0.0.1 and a
// free port, with a config and storage of its own in a temp dir, no auth. Docker treats 127.0.0.0/8
// as an insecure registry, so the engine pushes to it over plain http; pushTinyImage puts an image
// in without an engine.
import { spawn, type ChildProcess } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { request } from 'undici'
import { waitFor } from '../../lib/probe.ts'
import { freePort, tempDir } from './server.ts'

export interface TestRegistry {
  /** host:port, as SF_REGISTRY takes it (with a path added). */
  address: string
  url: string
  output(): string
  /** Stop serving, keeping the port's address and the stored images: an outage. */
  pause(): Promise<void>
  /** Serve again on the same address, with the same images. */
  resume(): Promise<void>
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
    const started = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] })
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

/** The labels a tiny image carries, as publish-image's build writes them. */
export type ImageLabels = Record<string, string>

/**
 * Put a one-layer image under `name:tag` through the distribution API itself (blob uploads, then
 * the manifest), no engine involved. The layer is an empty tar and the config carries `labels`, so
 * images with different labels have different digests. Returns the digest of the manifest's bytes.
 */
export async function pushTinyImage(registry: TestRegistry, name: string, tag: string, labels: ImageLabels): Promise<string> {
  const tar = Buffer.alloc(1024) // two zero blocks: an empty tar archive
  const layer = zlib.gzipSync(tar)
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: labels }, rootfs: { type: 'layers', diff_ids: [sha256(tar)] } }),
  )
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: await pushBlob(registry, name, config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: await pushBlob(registry, name, layer), size: layer.length }],
    }),
  )
  const put = await request(`${registry.url}/v2/${name}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    body: manifest,
  })
  const answer = await put.body.text()
  if (put.statusCode !== 201) throw new Error(`PUT manifest ${name}:${tag} answered ${put.statusCode} ${answer}\nregistry log:\n${registry.output()}`)
  return sha256(manifest)
}

function sha256(bytes: Buffer): string {
  return `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`
}

/** A monolithic upload: POST opens it, one PUT of the bytes with their digest closes it. */
async function pushBlob(registry: TestRegistry, name: string, bytes: Buffer): Promise<string> {
  const digest = sha256(bytes)
  const opened = await request(`${registry.url}/v2/${name}/blobs/uploads/`, { method: 'POST' })
  await opened.body.dump()
  const location = opened.headers.location
  if (opened.statusCode !== 202 || typeof location !== 'string') throw new Error(`POST blob upload in ${name} answered ${opened.statusCode} without a Location`)
  const target = new URL(location, registry.url)
  target.searchParams.set('digest', digest)
  const put = await request(target, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: bytes })
  const answer = await put.body.text()
  if (put.statusCode !== 201) throw new Error(`PUT blob ${digest} in ${name} answered ${put.statusCode} ${answer}`)
  return digest
}
