// A scratch checkout for tests that change the code and build it: a git clone of HEAD with this
// checkout's dependencies hard-linked in (fast, no copy, and nothing here is touched).
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { repoRoot } from '../../lib/paths.ts'
import { tempDir } from './server.ts'

export interface Scratch {
  dir: string
  /** Change one file with `edit` and commit it; returns the new commit. */
  commit(file: string, edit: (text: string) => string, message: string): string
  /** Undo the last commit with a new commit; returns it. */
  revert(): string
  head(): string
  remove(): void
}

export function scratchCheckout(): Scratch {
  const dir = path.join(tempDir('scratch'), 'sf')
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=sf tests', '-c', 'user.email=tests@sf.invalid', ...args], { cwd: dir, encoding: 'utf8' }).trim()
  execFileSync('git', ['clone', '--quiet', repoRoot, dir])
  for (const modules of ['node_modules', 'web/node_modules']) {
    execFileSync('cp', ['-al', path.join(repoRoot, modules), path.join(dir, modules)])
  }
  return {
    dir,
    commit(file, edit, message) {
      const full = path.join(dir, file)
      const before = fs.readFileSync(full, 'utf8')
      const after = edit(before)
      if (after === before) throw new Error(`the edit of ${file} changed nothing: the test no longer matches the code`)
      fs.writeFileSync(full, after)
      git('commit', '--quiet', '-am', message)
      return git('rev-parse', 'HEAD')
    },
    revert() {
      git('revert', '--quiet', '--no-edit', 'HEAD')
      return git('rev-parse', 'HEAD')
    },
    head: () => git('rev-parse', 'HEAD'),
    remove: () => fs.rmSync(path.dirname(dir), { recursive: true, force: true }),
  }
}
