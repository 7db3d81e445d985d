import path from 'node:path'
import type { NextConfig } from 'next'

// The app imports the toolkit's lib/, so the repo root is the root Next traces and compiles from.
const repoRoot = path.join(__dirname, '..')

const nextConfig: NextConfig = {
  output: 'standalone',
  outputFileTracingRoot: repoRoot,
  turbopack: { root: repoRoot },
  // scripts/build-web-host.ts names each build; the name is also its staged folder.
  generateBuildId: async () => process.env.SF_WEB_BUILD_ID ?? null,
  poweredByHeader: false,
  // `npm run typecheck` checks the app with the toolkit; the build need not do it again.
  typescript: { ignoreBuildErrors: true },
  // web/proxy.ts sees a copy of each body it matches, buffered up to this: 10 MB by default, per
  // request. No body this app takes is over 4 KB (web/server/self-upgrade.ts answers 413 past it).
  // A staged build never changes after its content digest is recorded (lib/release/content-digest.ts):
  // Next keeps the pages it renders at run time (a 404 renders _not-found) in memory, not in the build.
  experimental: { proxyClientMaxBodySize: '16kb', isrFlushToDisk: false },
}

export default nextConfig
