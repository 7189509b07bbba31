import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';

const base = { STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' };

describe('brake limits (config)', () => {
  it('defaults to 50 per user and 200 in total per 10 minutes', () => {
    expect(loadConfig(base).brake).toEqual({ maxPerUser: 50, maxTotal: 200, windowSeconds: 600 });
  });

  it('reads the three settings and names a bad one', () => {
    const env = { ...base, BRAKE_MAX_PER_USER: '5', BRAKE_MAX_TOTAL: '20', BRAKE_WINDOW_SECONDS: '60' };
    expect(loadConfig(env).brake).toEqual({ maxPerUser: 5, maxTotal: 20, windowSeconds: 60 });
    expect(() => loadConfig({ ...base, BRAKE_MAX_TOTAL: '0' })).toThrow(expect.objectContaining({ code: 'DS_ERR_CONFIG', field: 'BRAKE_MAX_TOTAL' }));
    expect(() => loadConfig({ ...base, BRAKE_MAX_PER_USER: 'many' })).toThrow(expect.objectContaining({ field: 'BRAKE_MAX_PER_USER' }));
  });
});
