// A real OCI registry for process and container tests: the benchmarks' Debian docker-registry on
// 127.0.0.1 and a free port (lib/bench/registry.ts), in a temp dir of the test file's own;
// pushTinyImage puts an image in without an engine.
import crypto from 'node:crypto'
import path from 'node:path'
import zlib from 'node:zlib'
import { request } from 'undici'
import { startRegistry as startLocalRegistry, type LocalRegistry } from '../../lib/bench/registry.ts'
import { tempDir } from './server.ts'

export type TestRegistry = LocalRegistry

export async function startRegistry(): Promise<TestRegistry> {
  return startLocalRegistry(path.join(tempDir('registry'), 'registry'))
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
