// The benchmark's own failure: a run that could not be set up or measured.
import { SfError } from '../errors.ts'

export class BenchError extends SfError {
  override name = 'BenchError'
}
