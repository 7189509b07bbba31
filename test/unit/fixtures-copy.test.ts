import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES_DIR, SHARED_FIXTURES_DIR } from '../helpers/fixtures.js';

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.json') || name.endsWith('.txt'))
    .sort();
}

describe('test/fixtures', () => {
  it('holds both folders of real payloads', () => {
    const names = files(FIXTURES_DIR);
    expect(names.filter((n) => n.startsWith('dataverse')).length).toBeGreaterThanOrEqual(9);
    expect(names.filter((n) => n.startsWith('graph')).length).toBeGreaterThanOrEqual(15);
  });

  it.skipIf(!existsSync(SHARED_FIXTURES_DIR))('is byte for byte the shared source, file for file', () => {
    const ours = files(FIXTURES_DIR);
    expect(ours).toEqual(files(SHARED_FIXTURES_DIR));
    for (const name of ours) {
      expect(readFileSync(path.join(FIXTURES_DIR, name)).equals(readFileSync(path.join(SHARED_FIXTURES_DIR, name))), name).toBe(true);
    }
  });
});
