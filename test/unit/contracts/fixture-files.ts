/** The shared real payloads (../shared/fixtures), read as they are. */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES_DIR = fileURLToPath(new URL('../../../../shared/fixtures/', import.meta.url));

/** JSON fixture file names of one folder (`dataverse` or `graph`), sorted. */
export function fixtureNames(folder: 'dataverse' | 'graph'): string[] {
  return readdirSync(`${FIXTURES_DIR}${folder}`)
    .filter((name) => name.endsWith('.json'))
    .sort();
}

export function fixturePath(folder: 'dataverse' | 'graph', name: string): string {
  return `${FIXTURES_DIR}${folder}/${name}`;
}

export function fixtureText(folder: 'dataverse' | 'graph', name: string): string {
  return readFileSync(fixturePath(folder, name), 'utf8');
}

export function fixtureJson(folder: 'dataverse' | 'graph', name: string): unknown {
  return JSON.parse(fixtureText(folder, name)) as unknown;
}
