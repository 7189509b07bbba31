/**
 * Identifiers shaped like Exchange's: opaque, base64url-ish, ending in `=` (so clients must not assume
 * GUIDs or path-safe alphabets), immutable for the item's life. Change keys feed the ETags.
 */
import { randomBytes } from 'node:crypto';

export function newItemId(prefix: 'AAMkAG' | 'AAkALg' | 'AQMkAD' = 'AAMkAG'): string {
  return `${prefix}${randomBytes(45).toString('base64url')}AAA=`;
}

export function newChangeKey(): string {
  return randomBytes(21).toString('base64');
}

export function etagOf(changeKey: string): string {
  return `W/"${changeKey}"`;
}

/** Outlook's iCalUId for a meeting: the fixed GlobalObjectId header followed by random bytes, hex. */
export function newICalUId(): string {
  return `040000008200E00074C5B7101A82E00800000000${randomBytes(24).toString('hex').toUpperCase()}`;
}

export function newInternetMessageId(domain: string): string {
  return `<${randomBytes(12).toString('hex')}@${domain}>`;
}

/** Graph's own request ids are GUIDs. */
export function newRequestId(): string {
  return randomBytes(16).toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
}
