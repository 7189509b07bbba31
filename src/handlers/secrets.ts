/** Secret comparison that takes the same time whatever the input: hashes first, so lengths leak nothing. */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export function secretEquals(given: string | undefined | null, expected: string | undefined | null): boolean {
  if (typeof expected !== 'string' || expected === '' || typeof given !== 'string') return false;
  return timingSafeEqual(digest(given), digest(expected));
}
