import { describe, expect, it } from 'vitest';
import { entitySetOf } from '../../../src/dataverse/entity-sets.js';
import { DeleteSyncError } from '../../../src/errors.js';

describe('entitySetOf', () => {
  it('maps the tables the service touches', () => {
    expect(entitySetOf('appointment')).toBe('appointments');
    expect(entitySetOf('sdkmessageprocessingstepimage')).toBe('sdkmessageprocessingstepimages');
    expect(entitySetOf('exchangesyncidmapping')).toBe('exchangesyncidmappings');
  });

  it('takes extra mappings and refuses to guess the rest', () => {
    expect(entitySetOf('new_customactivity', { new_customactivity: 'new_customactivities' })).toBe('new_customactivities');
    expect(() => entitySetOf('new_customactivity')).toThrow(DeleteSyncError);
  });
});
