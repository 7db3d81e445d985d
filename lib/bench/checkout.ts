// A benchmark's own checkout: a git clone of the one it runs from, with that checkout's dependencies
// hard-linked in (no copy, no install), so a run can commit a release of its own (a page that throws)
// and build it, while the checkout the bench runs from is never touched. It lives in the sandbox's
// folder and goes with it.
import fs from 'node:fs/promises'
import path from 'node:path'
import { cloneCheckout, commitAll, revertHead, type GitIdentity } from '../git.ts'
import { run } from '../run.ts'
import { BenchError } from './errors.ts'

export interface ScratchCheckout {
  dir: string
  /** Change one file with `edit` and commit it; returns the new commit. */
  commit(file: string, edit: (text: string) => string, message: string): Promise<string>
  /** Undo the last commit with a new one; returns it. */
  revert(): Promise<string>
}

const bench: GitIdentity = { name: 'sf bench', email: 'bench@sf.invalid' }
const dependencies = ['node_modules', 'web/node_modules']

export async function scratchCheckout(from: string, dir: string): Promise<ScratchCheckout> {
  await cloneCheckout(from, dir)
  for (const modules of dependencies) {
    await run('cp', ['-al', path.join(from, modules), path.join(dir, modules)])
  }
  return {
    dir,
    async commit(file, edit, message) {
      const full = path.join(dir, file)
      const before = await fs.readFile(full, 'utf8')
      const after = edit(before)
      if (after === before) throw new BenchError(`the edit of ${file} changed nothing: the benchmark no longer matches the code, update lib/bench/analysis.ts`)
      await fs.writeFile(full, after)
      return commitAll(dir, message, bench)
    },
    revert: () => revertHead(dir, bench),
  }
}
