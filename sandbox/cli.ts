/**
 * Runs the tenant sandbox on its own: `tsx sandbox/cli.ts --user "Alice Example" --user "Bob Example"`.
 * Prints the endpoints and writes the CA certificate and a settings file with the app's credentials under
 * the service's own setting names (the secret goes to the file, never to the terminal), which `npm start`
 * and `delete-sync` read as they are: `DELETE_SYNC_ENV_FILE=.sandbox.env npm start`,
 * `delete-sync --env-file .sandbox.env register …`. Both files are git-ignored. Stops on Ctrl+C.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { startTenantSandbox } from './index.js';

const program = new Command()
  .name('tenant-sandbox')
  .description('Local Microsoft 365 + Dataverse stand-in over HTTPS on loopback')
  .option('--user <displayName...>', 'add a user with a mailbox (repeatable)', [])
  .option('--ca-file <path>', 'where to write the CA certificate (PEM)', '.sandbox-ca.pem')
  .option('--settings-file <path>', 'where to write the connection settings, secret included', '.sandbox.env')
  .parse();

const options = program.opts<{ user: string[]; caFile: string; settingsFile: string }>();
const sandbox = await startTenantSandbox();
const users = options.user.map((displayName) => sandbox.directory.add({ displayName }));
const caFile = resolve(options.caFile);
const settingsFile = resolve(options.settingsFile);
writeFileSync(caFile, sandbox.ca);
writeFileSync(
  settingsFile,
  [
    `AZURE_TENANT_ID=${sandbox.tenantId}`,
    `GRAPH_TENANT_ID=${sandbox.tenantId}`,
    `AZURE_AUTHORITY_HOST=${sandbox.loginUrl}`,
    `GRAPH_BASE_URL=${sandbox.graphUrl}`,
    `DATAVERSE_URL=${sandbox.dataverseUrl}`,
    `AZURE_CLIENT_ID=${sandbox.client.clientId}`,
    `AZURE_CLIENT_SECRET=${sandbox.client.clientSecret}`,
    `EXTRA_CA_FILE=${caFile}`,
    `SYNC_USERS=${users.map((u) => u.id).join(',')}`,
    '',
  ].join('\n'),
  { mode: 0o600 },
);

console.log(`tenant    ${sandbox.tenantId}`);
console.log(`login     ${sandbox.loginUrl}/${sandbox.tenantId}/oauth2/v2.0/token`);
console.log(`graph     ${sandbox.graphUrl}/v1.0`);
console.log(`dataverse ${sandbox.dataverseUrl}/api/data/v9.2`);
console.log(`client id ${sandbox.client.clientId} (secret in ${settingsFile})`);
console.log(`CA        ${caFile}`);
for (const u of users) console.log(`user      ${u.displayName} <${u.userPrincipalName}> ${u.id}`);

const stop = async () => {
  await sandbox.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
