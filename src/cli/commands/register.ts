/**
 * `delete-sync register`: registers (or with --remove unregisters) the webhook endpoint, steps and
 * pre-images in Dataverse, idempotently. Signs in like the service: AZURE_TENANT_ID / AZURE_CLIENT_ID /
 * AZURE_CLIENT_SECRET (optional AZURE_AUTHORITY_HOST), else a managed identity.
 */
import type { Command } from 'commander';
import { ConfigEnv } from '../../config.js';
import { countActions, ENDPOINT_NAME, SNAPSHOT_COLUMNS, type Plan, type PlanItem } from '../../dataverse/registration.js';
import { DeleteSyncError } from '../../errors.js';
import { configureFetch, readCaFile } from '../../net/ca.js';
import { confirm } from '../confirm.js';
import { cliContext } from '../program.js';
import { signIn, timedCredential } from '../sign-in.js';

interface RegisterOptions {
  dataverseUrl?: string;
  endpoint?: string;
  key?: string;
  caFile?: string;
  dryRun?: boolean;
  remove?: boolean;
  yes?: boolean;
  json?: boolean;
}

const EXAMPLES = `
Signs in with AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (a System Administrator or
System Customizer application user), or a managed identity. The key defaults to DATAVERSE_WEBHOOK_KEY;
prefer it to --key, which other users of the machine can see. An extra CA: --ca-file, EXTRA_CA_FILE or
NODE_EXTRA_CA_CERTS. Settings come from the environment or the settings file, as npm start reads them.
--remove asks for confirmation (--yes to skip the question).

Registers: the webhook endpoint '${ENDPOINT_NAME}' (WebhookKey, JSON); for appointment, task,
email and contact an asynchronous PostOperation step for Delete, Create and Update; a pre-image 'PreImage'
on each Delete and Update step, with the columns the service reads:
${Object.entries(SNAPSHOT_COLUMNS).map(([table, columns]) => `  ${table.padEnd(11)} ${columns.join(', ')}`).join('\n')}

Exit codes: 0 done (or nothing to do); 2 bad usage, input or settings (a refused sign-in names the setting:
wrong secret, tenant or untrusted certificate); 1 Dataverse or the sign-in host failed or did not answer
within --timeout (coded message on stderr).

Examples:
  $ DATAVERSE_WEBHOOK_KEY=… delete-sync register --dataverse-url https://contoso.crm.dynamics.com \\
      --endpoint https://func-delete-sync.azurewebsites.net/api/dataverse/webhook --dry-run
  $ delete-sync register --dataverse-url https://contoso.crm.dynamics.com --remove --yes`;

export function register(program: Command): void {
  program
    .command('register')
    .description('Register the webhook, steps and pre-images in Dataverse (idempotent), or remove them.')
    .option('--dataverse-url <url>', 'Dataverse environment URL; default: DATAVERSE_URL')
    .option('--endpoint <url>', 'webhook URL without ?code=, e.g. https://<app>.azurewebsites.net/api/dataverse/webhook')
    .option('--key <key>', 'webhook key sent as ?code=; default: DATAVERSE_WEBHOOK_KEY; omitted: keep the registered key')
    .option('--ca-file <path>', 'extra CA certificate (PEM) to trust, e.g. the tenant sandbox\'s')
    .option('--dry-run', 'print the plan and change nothing')
    .option('--remove', 'remove the images, steps and endpoint (asks first; --yes to confirm)')
    .option('--yes', 'confirm --remove without being asked')
    .option('--json', 'print the plan as JSON')
    .addHelpText('after', EXAMPLES)
    .action(async (options: RegisterOptions, command: Command) => {
      const { env, timeoutMs } = cliContext(command);
      const dataverseUrl = setting(env, 'DATAVERSE_URL', options.dataverseUrl, '--dataverse-url');
      if (!dataverseUrl) throw new DeleteSyncError('DS_ERR_CONFIG', 'Give --dataverse-url or set DATAVERSE_URL', { field: '--dataverse-url' });
      const endpointUrl = options.remove ? undefined : webhookUrl(options.endpoint);
      const key = setting(env, 'DATAVERSE_WEBHOOK_KEY', options.key, '--key');
      const caFile = options.caFile ?? (env.EXTRA_CA_FILE || undefined);
      const ca = caFile === undefined ? undefined : readCaFile(caFile, options.caFile === undefined ? 'EXTRA_CA_FILE' : '--ca-file');
      configureFetch({ ca, timeoutMs });
      const [{ DataverseClient }, registration, { createCredential, credentialConfigFromEnv }] = await Promise.all([
        import('../../dataverse/client.js'),
        import('../../dataverse/registration.js'),
        import('../../graph/auth.js'),
      ]);
      const credential = timedCredential(createCredential(credentialConfigFromEnv(env, ca)), timeoutMs);
      await signIn(credential, [`${dataverseUrl.replace(/\/+$/, '')}/.default`], {
        authorityHost: env.AZURE_AUTHORITY_HOST || 'https://login.microsoftonline.com',
        tenantId: env.AZURE_TENANT_ID,
        ca,
        timeoutMs,
      });
      const client = new DataverseClient({ url: dataverseUrl, credential });

      const current = await registration.readRegistration(client);
      const plan =
        endpointUrl === undefined
          ? registration.planRemoval(current)
          : registration.planRegistration({ dataverseUrl, endpointUrl, key }, current, await registration.readMessageFilters(client));
      const removals = plan.items.filter((item) => item.action === 'delete').length;
      if (options.remove && !options.dryRun && removals > 0) await confirm(`Remove ${removals} registration item(s) from ${dataverseUrl}`, options.yes === true);
      const result = options.dryRun ? plan : await registration.applyPlan(client, plan);
      const report: Report = { dataverseUrl, endpoint: endpointUrl ?? null, mode: options.remove ? 'remove' : 'register', dryRun: options.dryRun === true, result };
      process.stdout.write(options.json ? `${JSON.stringify(planJson(report), null, 2)}\n` : formatPlan(report));
    });
}

/** A flag, else the setting, validated by the service's own schema for that variable. */
function setting(env: Record<string, string | undefined>, name: 'DATAVERSE_URL' | 'DATAVERSE_WEBHOOK_KEY', flag: string | undefined, flagName: string): string | undefined {
  const parsed = ConfigEnv.shape[name].safeParse(flag ?? env[name]);
  if (!parsed.success) {
    const where = flag === undefined ? name : flagName;
    throw new DeleteSyncError('DS_ERR_CONFIG', `${where} ${parsed.error.issues[0]?.message ?? 'is invalid'}`, { field: where });
  }
  return parsed.data;
}

function webhookUrl(value: string | undefined): string {
  if (value === undefined) throw new DeleteSyncError('DS_ERR_CONFIG', 'Give --endpoint (the webhook URL), or --remove', { field: '--endpoint' });
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DeleteSyncError('DS_ERR_CONFIG', '--endpoint is not an absolute URL', { field: '--endpoint' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new DeleteSyncError('DS_ERR_CONFIG', '--endpoint must be an http(s) URL', { field: '--endpoint' });
  // Dataverse appends ?code=<key> itself; a key in the URL would be stored readable.
  if (url.searchParams.has('code') || url.username || url.password) {
    throw new DeleteSyncError('DS_ERR_CONFIG', '--endpoint must not carry a key or credentials: pass the key with DATAVERSE_WEBHOOK_KEY or --key', { field: '--endpoint' });
  }
  return url.toString();
}

interface Report {
  dataverseUrl: string;
  endpoint: string | null;
  mode: 'register' | 'remove';
  dryRun: boolean;
  result: Plan;
}

/** The plan without the values written (they hold the key). */
function planJson(report: Report): Record<string, unknown> {
  return {
    dataverseUrl: report.dataverseUrl,
    endpoint: report.endpoint,
    mode: report.mode,
    dryRun: report.dryRun,
    summary: countActions(report.result),
    items: report.result.items.map((item) => ({ kind: item.kind, label: item.label, action: item.action, id: item.id, changes: item.changes })),
  };
}

const WILL: Readonly<Record<PlanItem['action'], string>> = { create: 'create', update: 'update', unchanged: 'unchanged', delete: 'remove' };
const DID: Readonly<Record<PlanItem['action'], string>> = { create: 'created', update: 'updated', unchanged: 'unchanged', delete: 'removed' };

function formatPlan(report: Report): string {
  const verbs = report.dryRun ? WILL : DID;
  const head = report.mode === 'remove' ? `Remove the delete-sync registration from ${report.dataverseUrl}` : `Register ${report.endpoint} in ${report.dataverseUrl}`;
  const lines = [`${head}${report.dryRun ? ' (dry run: nothing is changed)' : ''}`];
  if (report.result.items.length === 0) lines.push('  nothing is registered');
  for (const item of report.result.items) {
    const changes = item.action === 'update' ? ` (${item.changes.join(', ')})` : '';
    lines.push(`  ${verbs[item.action].padEnd(10)} ${item.kind.padEnd(9)} ${item.label}${changes}`);
  }
  const counts = countActions(report.result);
  const summary = (Object.keys(counts) as PlanItem['action'][]).filter((a) => counts[a] > 0).map((a) => `${counts[a]} ${verbs[a]}`);
  lines.push(summary.length > 0 ? `${report.dryRun ? 'Plan' : 'Done'}: ${summary.join(', ')}.` : 'Done: nothing to do.');
  return `${lines.join('\n')}\n`;
}
