import { StoreUnavailableError } from '../../errors.js';

/**
 * Waits for a Redis call at most `ms` milliseconds: past that it fails as StoreUnavailableError ("<what> did not
 * answer within <ms> ms"), a 503 for the caller. The call itself goes on; its late reply is read in order and dropped.
 */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailableError(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
