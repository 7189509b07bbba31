/** The one settings loader `npm start` and `delete-sync` share: the environment over a NAME=value file. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/settings-file.js';

const dir = mkdtempSync(join(tmpdir(), 'delete-sync-settings-'));
writeFileSync(join(dir, '.env'), 'DATAVERSE_URL=https://from-dotenv.crm.dynamics.com\nQUEUE_NAME=fromfile\n# a comment\nADMIN_KEY="quoted value 0123456789"\n');
writeFileSync(join(dir, 'sandbox.env'), 'DATAVERSE_URL=https://sandbox.example\n');

describe('loadSettings', () => {
  it('reads ./.env when present; the environment wins over the file', () => {
    const { env, file } = loadSettings({ cwd: dir, env: { QUEUE_NAME: 'fromenv' } });
    expect(file).toBe(join(dir, '.env'));
    expect(env).toMatchObject({ DATAVERSE_URL: 'https://from-dotenv.crm.dynamics.com', QUEUE_NAME: 'fromenv', ADMIN_KEY: 'quoted value 0123456789' });
  });

  it('reads the file DELETE_SYNC_ENV_FILE or --env-file names instead', () => {
    expect(loadSettings({ cwd: dir, env: { DELETE_SYNC_ENV_FILE: 'sandbox.env' } }).env.DATAVERSE_URL).toBe('https://sandbox.example');
    expect(loadSettings({ cwd: dir, env: {}, file: 'sandbox.env' }).env.QUEUE_NAME).toBeUndefined();
  });

  it('without a file it is the environment; a named file that does not exist is a configuration error', () => {
    const empty = mkdtempSync(join(tmpdir(), 'delete-sync-settings-none-'));
    expect(loadSettings({ cwd: empty, env: { PORT: '8080' } })).toEqual({ env: { PORT: '8080' }, file: null });
    expect(() => loadSettings({ cwd: empty, env: { DELETE_SYNC_ENV_FILE: 'missing.env' } })).toThrow(expect.objectContaining({ code: 'DS_ERR_CONFIG', field: 'DELETE_SYNC_ENV_FILE' }));
  });
});
