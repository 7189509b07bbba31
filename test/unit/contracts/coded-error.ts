import { DeleteSyncError } from '../../../src/errors.js';

/** Runs `run` and returns the DeleteSyncError it throws; anything else (or nothing) fails the test. */
export function codedError(run: () => unknown): DeleteSyncError {
  try {
    run();
  } catch (error) {
    if (error instanceof DeleteSyncError) return error;
    throw error;
  }
  throw new Error('expected a DeleteSyncError');
}
