import { describe, expect, it } from 'vitest';
import { createLogger, redact, redactText } from '../../src/log.js';

describe('logger redaction', () => {
  it('removes secret-named fields at any depth', () => {
    expect(
      redact({
        code: 'k1',
        adminKey: 'k2',
        'x-admin-key': 'k3',
        clientState: 'k4',
        validationToken: 'k5',
        nested: { access_token: 'k6', Authorization: 'Bearer k7', list: [{ secret: 'k8' }] },
        recordKey: 'appointment:1',
        errorCode: 'DS_ERR_X',
      }),
    ).toEqual({
      code: '[redacted]',
      adminKey: '[redacted]',
      'x-admin-key': '[redacted]',
      clientState: '[redacted]',
      validationToken: '[redacted]',
      nested: { access_token: '[redacted]', Authorization: '[redacted]', list: [{ secret: '[redacted]' }] },
      recordKey: 'appointment:1',
      errorCode: 'DS_ERR_X',
    });
  });

  it('removes secret query parameters, account keys and bearer tokens from text', () => {
    expect(redactText('POST /api/dataverse/webhook?code=abc&x=1')).toBe('POST /api/dataverse/webhook?code=[redacted]&x=1');
    expect(redactText('/api/graph/notifications?validationToken=a%2Bb')).toBe('/api/graph/notifications?validationToken=[redacted]');
    expect(redactText('AccountName=dev;AccountKey=Eby8==;QueueEndpoint=x')).toBe('AccountName=dev;AccountKey=[redacted];QueueEndpoint=x');
    expect(redactText('header Bearer eyJ0eXAi.abc.def')).toBe('header Bearer [redacted]');
  });

  it('writes one JSON line with bindings, honouring the level', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', sink: (_l, line) => lines.push(line), now: () => new Date(0) })
      .child({ handler: 'h' });
    log.debug('hidden');
    log.info('shown', { error: Object.assign(new Error('failed at ?code=abc'), { code: 'E1' }) });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({
      time: '1970-01-01T00:00:00.000Z',
      level: 'info',
      msg: 'shown',
      handler: 'h',
      error: { name: 'Error', message: 'failed at ?code=[redacted]', code: 'E1' },
    });
  });
});
