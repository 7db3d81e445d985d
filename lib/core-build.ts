// Bundling the loader into dist/loader.js, self-contained, so an image needs no node_modules to run it.
import fs from 'node:fs/promises'
import path from 'node:path'
import { build } from 'esbuild'
import { distPaths } from './paths.ts'

export async function buildCore(root: string): Promise<string> {
  const dist = distPaths(root)
  await fs.mkdir(dist.dist, { recursive: true })
  await build({
    entryPoints: [path.join(root, 'lib', 'loader-main.ts')],
    outfile: dist.loader,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Bundled CommonJS dependencies (dotenv) call require for Node's own modules.
    banner: { js: "import { createRequire as __sfCreateRequire } from 'node:module'; const require = __sfCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  })
  // dist/ travels alone into images: it says for itself that loader.js is an ES module.
  await fs.writeFile(path.join(dist.dist, 'package.json'), '{ "type": "module" }\n')
  return dist.loader
}
