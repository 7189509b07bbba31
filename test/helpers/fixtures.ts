/**
 * The real payloads: a verbatim copy of the project's shared fixtures (../shared/fixtures) kept in
 * test/fixtures, so a clone tests on its own wherever CI checks it out. test/unit/fixtures-copy.test.ts
 * proves the copy still matches the shared source whenever that source is beside the checkout.
 */
import { fileURLToPath } from 'node:url';

export const FIXTURES_URL = new URL('../fixtures/', import.meta.url);
export const FIXTURES_DIR = fileURLToPath(FIXTURES_URL);
/** Where the shared originals live, beside the checkout. */
export const SHARED_FIXTURES_DIR = fileURLToPath(new URL('../../../shared/fixtures/', import.meta.url));
