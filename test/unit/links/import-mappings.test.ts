/**
 * The exchangesyncidmappings import against the Dataverse sandbox: rows read with the documented column
 * types, and a refusal (one coded error) whenever a tracked row would need an undocumented id translation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryUser } from '../../../sandbox/index.js';
import { importExchangeMappings } from '../../../src/links/import-mappings.js';
import { createLogger } from '../../../src/log.js';
import { startSandboxClients, type SandboxClients } from '../graph/sandbox-clients.js';

let s: SandboxClients;
let max: DirectoryUser;
const log = createLogger({ level: 'error' });

beforeAll(async () => {
  s = await startSandboxClients();
  max = s.sandbox.directory.add({ displayName: 'Max Mapped' });
});
afterAll(() => s.sandbox.close());

describe('importExchangeMappings', () => {
  it('reads rows unlinked in CRM or deleted in Exchange and links nothing, without an error', async () => {
    const contact = await s.sandbox.dataverse.createContact({ lastname: 'Gone', ownerId: max.systemUserId });
    const mapping = await s.sandbox.dataverse.linkExchangeItem(max.systemUserId, { logicalName: 'contact', id: contact }, 'AAMkAGone');
    await s.sandbox.dataverse.userUpdates(max.systemUserId, 'exchangesyncidmapping', mapping, { isunlinkedincrm: true });
    expect(await importExchangeMappings({ dataverse: s.dataverse, log })).toEqual({ rows: 1, linked: 0, unchanged: 0, skipped: 1 });
  });

  it('refuses with DS_ERR_UNSUPPORTED_LINK_SOURCE once a tracked row exists, counting rows by object type code', async () => {
    const task = await s.sandbox.dataverse.createTask({ subject: 'Tracked', ownerId: max.systemUserId });
    await s.sandbox.dataverse.linkExchangeItem(max.systemUserId, { logicalName: 'task', id: task }, 'AAMkATask');
    await expect(importExchangeMappings({ dataverse: s.dataverse, log })).rejects.toMatchObject({
      code: 'DS_ERR_UNSUPPORTED_LINK_SOURCE',
      statusCode: 501,
      message: expect.stringMatching(/1 tracked rows \(1 task\).*exchangeentryid/),
    });
  });
});
