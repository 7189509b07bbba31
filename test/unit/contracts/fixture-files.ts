/** The real payloads (test/fixtures, a verbatim copy of ../shared/fixtures), read as they are. */
import { readFileSync, readdirSync } from 'node:fs';
import { FIXTURES_DIR } from '../../helpers/fixtures.js';

export { FIXTURES_DIR };

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
