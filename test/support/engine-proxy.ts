// A Docker Engine that stops answering, for the container tier: a unix socket in a temp dir that
// forwards every connection to the real engine's socket, until close() shuts it and cuts what is
// open. A command pointed at it (DOCKER_HOST) sees the engine go away mid-run, while the shared
// engine other tests use keeps running.
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { tempDir } from './server.ts'

export interface EngineProxy {
  /** DOCKER_HOST for a command that should lose its engine on close(). */
  host: string
  close(): Promise<void>
}

export async function engineProxy(engineSocket = '/var/run/docker.sock'): Promise<EngineProxy> {
  const dir = tempDir('engine-proxy')
  const socket = path.join(dir, 'docker.sock')
  const open = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const engine = net.connect(engineSocket)
    const cut = () => (client.destroy(), engine.destroy(), open.delete(client), open.delete(engine))
    for (const s of [client, engine]) (open.add(s), s.on('error', cut), s.on('close', cut))
    client.pipe(engine)
    engine.pipe(client)
  })
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socket, resolve))
  return {
    host: `unix://${socket}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const s of open) s.destroy()
      await closed
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}
