// Where things live in a checkout. One definition, used by the scripts, the loader and the tests.
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The root of this checkout (the folder holding package.json). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export function distPaths(root: string = repoRoot) {
  const dist = path.join(root, 'dist')
  return {
    dist,
    loader: path.join(dist, 'loader.js'),
    manifest: path.join(dist, 'sf-release-manifest.json'),
    /** One manifest per build, dist/releases/<buildId>.json, for containers pinned to a build. */
    releases: path.join(dist, 'releases'),
    /** Every staged web host build, one immutable folder each. */
    webBuilds: path.join(dist, 'web', 'builds'),
    /** A symlink to the current build's server folder: `standalone/server.js` is what runs. */
    webStandalone: path.join(dist, 'web', 'standalone'),
  }
}

export function webPaths(root: string = repoRoot) {
  const web = path.join(root, 'web')
  return {
    web,
    next: path.join(web, '.next'),
    nodeModules: path.join(web, 'node_modules'),
    public: path.join(web, 'public'),
  }
}

/** True when `child` is `root` or lies inside it (both already resolved). */
export function isInside(root: string, child: string): boolean {
  const rel = path.relative(root, child)
  // `..foo` is a folder inside; only `..` itself or `../…` lead out.
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel))
}
