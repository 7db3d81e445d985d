// Bundling the loader into dist/loader.js, self-contained, so an image needs no node_modules to run it.
import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { build } from 'esbuild'
import { distPaths } from '../paths.ts'

/** One self-contained ES module for Node from `entry` (the loader, the host controller). */
export async function bundleForNode(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Bundled CommonJS dependencies (dotenv) call require for Node's own modules.
    banner: { js: "import { createRequire as __sfCreateRequire } from 'node:module'; const require = __sfCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  })
}

export async function buildCore(root: string): Promise<string> {
  const dist = distPaths(root)
  await fs.mkdir(dist.dist, { recursive: true })
  await bundleForNode(path.join(root, 'lib', 'server', 'loader-main.ts'), dist.loader)
  // dist/ travels alone into images: it says for itself that loader.js is an ES module.
  await fs.writeFile(path.join(dist.dist, 'package.json'), '{ "type": "module" }\n')
  await pinnedLoader(root)
  return dist.loader
}

/**
 * dist/loader-<content hash>.js, a copy of dist/loader.js that is never rewritten: a container runs
 * it, so a later build:core cannot change the loader a container (re)starts with. Made if missing.
 */
export async function pinnedLoader(root: string): Promise<string> {
  const dist = distPaths(root)
  const bytes = await fs.readFile(dist.loader)
  const name = `loader-${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}.js`
  const file = path.join(dist.dist, name)
  await fs.writeFile(file, bytes, { flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error
  })
  return name
}
