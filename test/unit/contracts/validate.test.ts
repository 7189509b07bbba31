import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatPath, parseJsonBody, parseOrThrow } from '../../../src/contracts/validate.js';
import { codedError } from './coded-error.js';

describe('formatPath', () => {
  it('writes JSON paths support can read', () => {
    expect(formatPath([])).toBe('$');
    expect(formatPath(['InputParameters', 0, 'value', 'Id'])).toBe('InputParameters[0].value.Id');
    expect(formatPath(['rules', 'crm.email', 'action'])).toBe('rules["crm.email"].action');
    expect(formatPath(['resourceData', '@odata.type'])).toBe('resourceData["@odata.type"]');
  });
});

describe('parseOrThrow', () => {
  it('names an unknown key of a strict object', () => {
    const error = codedError(() => parseOrThrow(z.strictObject({ a: z.strictObject({ b: z.number() }) }), { a: { b: 1, c: 2 } }, { code: 'DS_ERR_POLICY_FILE' }));
    expect(error).toMatchObject({ code: 'DS_ERR_POLICY_FILE', field: 'a.c' });
  });

  it('prefixes the location of the value', () => {
    expect(codedError(() => parseOrThrow(z.object({ Id: z.string() }), {}, { at: 'InputParameters[0].value', what: 'Target' }))).toMatchObject({
      code: 'DS_ERR_INVALID_PAYLOAD',
      field: 'InputParameters[0].value.Id',
      message: expect.stringMatching(/^Target: /),
    });
  });
});

describe('parseJsonBody', () => {
  it('accepts text, a UTF-8 buffer with BOM, and parsed values', () => {
    expect(parseJsonBody('{"a":1}')).toEqual({ a: 1 });
    expect(parseJsonBody(Buffer.from('\uFEFF{"a":1}'))).toEqual({ a: 1 });
    expect(parseJsonBody({ a: 1 })).toEqual({ a: 1 });
  });

  it('does not quote the body in its message (it may hold secrets)', () => {
    const error = codedError(() => parseJsonBody('{"clientState":"s3cret"'));
    expect(error).toMatchObject({ code: 'DS_ERR_BAD_JSON', field: '$' });
    expect(error.message).not.toContain('s3cret');
    expect(codedError(() => parseJsonBody(undefined)).code).toBe('DS_ERR_BAD_JSON');
  });
});
