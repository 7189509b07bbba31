/**
 * Table key helpers. Azure table keys may not contain / \ # ? or control characters, and Outlook item ids
 * may contain / and +, so every key part is percent-encoded; `|` (encoded inside parts) joins parts.
 */
import { createHash } from 'node:crypto';

export function keyPart(value: string): string {
  return encodeURIComponent(value);
}

export function joinKey(...parts: string[]): string {
  return parts.map(keyPart).join('|');
}

/**
 * Keys for a value too long or too free-form to be a key itself (dedupe inputs, event ids): the SHA-256
 * hex is the row key, and its first three characters spread the rows over partitions.
 */
export function hashedKeys(value: string): [string, string] {
  const hash = createHash('sha256').update(value, 'utf8').digest('hex');
  return [hash.slice(0, 3), hash];
}

/** Largest millisecond time a 13-digit inverted key can hold (year 2286), so keys stay fixed-width. */
const MAX_MS = 9_999_999_999_999;

/** Row key prefix that sorts newest first: tables return rows in ascending key order. */
export function invertedTime(at: Date): string {
  return String(MAX_MS - at.getTime()).padStart(13, '0');
}
