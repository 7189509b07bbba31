/**
 * The shape of the azd template, checked without a Bicep compiler: modules wire up (every required
 * parameter passed, no unknown one), the parameters file matches, the identity gets the roles the code
 * needs, and the resources are the Flex Consumption / keyless-storage / Entra-only shapes we rely on.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  arrayItems,
  bicepModules,
  bicepOutputs,
  bicepParams,
  bicepStringVars,
  blockAfter,
  infraDir,
  objectEntries,
  readRepoFile,
  stringLiteral,
} from './bicep.js';
import { ROUTES } from '../../../src/handlers/routes.js';

const main = readRepoFile('infra/main.bicep');
const modules = bicepModules(main);
const moduleText = (symbol: string) => readRepoFile(`infra/${modules.find((m) => m.symbol === symbol)!.path}`);

describe('modules', () => {
  it('main.bicep uses one module per concern, each file present', () => {
    expect(modules.map((m) => m.symbol).sort()).toEqual(['api', 'identity', 'monitoring', 'rbac', 'storage']);
    for (const m of modules) expect(existsSync(resolve(infraDir, m.path)), m.path).toBe(true);
  });

  it('passes every required module parameter and no unknown one', () => {
    for (const m of modules) {
      const declared = bicepParams(readRepoFile(`infra/${m.path}`));
      const passed = [...m.params.keys()];
      expect(passed.filter((p) => !declared.has(p)), `${m.symbol}: unknown`).toEqual([]);
      const required = [...declared.values()].filter((p) => !p.hasDefault).map((p) => p.name);
      expect(required.filter((p) => !m.params.has(p)), `${m.symbol}: missing`).toEqual([]);
    }
  });

  it('names only abbreviations that exist, and every loaded file exists', () => {
    const abbrs = JSON.parse(readRepoFile('infra/abbreviations.json')) as Record<string, string>;
    const used = [...main.matchAll(/abbrs\.(\w+)/g)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThan(5);
    for (const name of used) expect(abbrs, name).toHaveProperty(name);

    const bicepFiles = ['main.bicep', ...readdirSync(resolve(infraDir, 'app')).map((f) => `app/${f}`)];
    for (const file of bicepFiles) {
      const dir = resolve(infraDir, file, '..');
      for (const m of readRepoFile(`infra/${file}`).matchAll(/load(?:Json|Text)Content\('([^']+)'\)/g)) {
        expect(existsSync(resolve(dir, m[1]!)), `${file} loads ${m[1]}`).toBe(true);
      }
    }
  });
});

describe('main.parameters.json', () => {
  const params = bicepParams(main);
  const file = JSON.parse(readRepoFile('infra/main.parameters.json')) as {
    parameters: Record<string, { value: unknown }>;
  };

  it('names only parameters main.bicep declares, and every one without a default', () => {
    const supplied = Object.keys(file.parameters);
    expect(supplied.filter((p) => !params.has(p))).toEqual([]);
    const required = [...params.values()].filter((p) => !p.hasDefault).map((p) => p.name);
    expect(required.length).toBeGreaterThanOrEqual(6);
    expect(required.filter((p) => !(p in file.parameters))).toEqual([]);
  });

  it('takes every value from the azd environment, secrets included: nothing is written in the file', () => {
    for (const [name, { value }] of Object.entries(file.parameters)) {
      expect(value, name).toMatch(/^\$\{[A-Z_]+(=[^}]*)?\}$/);
    }
    for (const p of params.values()) {
      if (p.secure) expect(file.parameters[p.name]?.value, p.name).toMatch(/^\$\{[A-Z_]+\}$/);
    }
  });

  it('has the Dataverse URL, tenant, synced group, policy and both keys as parameters', () => {
    for (const name of ['dataverseUrl', 'graphTenantId', 'syncGroupId', 'policyFile', 'dataverseWebhookKey', 'adminKey']) {
      expect(params.has(name), name).toBe(true);
    }
    expect(params.get('dataverseWebhookKey')!.decorators).toContain('@minLength(16)');
    expect(params.get('adminKey')!.decorators).toContain('@minLength(16)');
  });
});

describe('roles', () => {
  const rbac = moduleText('rbac');
  const roleIds = new Map([...objectEntries(blockAfter(rbac, 'var roles = {'))].map(([k, v]) => [k, stringLiteral(v)]));

  // Built-in role definition ids (Azure RBAC built-in roles reference).
  const NEEDED = {
    storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b', // host storage, Flex deployment package
    storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88', // enqueue, queue trigger, poison queue
    storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3', // links, snapshots, tombstones, audit
    monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb', // telemetry with local auth off
  };

  it('defines each role the code needs with its built-in id', () => {
    expect(Object.fromEntries(roleIds)).toEqual(NEEDED);
  });

  it('assigns the storage roles on the storage account and the publisher role on App Insights, to the identity', () => {
    expect(arrayItems(rbac, 'var storageRoles = [').sort()).toEqual([
      'roles.storageBlobDataOwner',
      'roles.storageQueueDataContributor',
      'roles.storageTableDataContributor',
    ]);
    const storageAssignment = blockAfter(rbac, "resource storageRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for roleId in storageRoles:");
    expect(objectEntries(storageAssignment).get('scope')).toBe('storage');
    const publisher = blockAfter(rbac, "resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01'");
    expect(objectEntries(publisher).get('scope')).toBe('applicationInsights');
    expect(publisher).toContain('roles.monitoringMetricsPublisher');
    for (const block of [storageAssignment, publisher]) {
      const props = objectEntries(blockAfter(block, 'properties:'));
      expect(props.get('principalId')).toBe('principalId');
      expect(props.get('principalType')).toBe("'ServicePrincipal'");
    }
    const passed = modules.find((m) => m.symbol === 'rbac')!.params;
    expect(passed.get('principalId')).toBe('identity.outputs.principalId');
  });
});

describe('resources', () => {
  it('hosts the app on Flex Consumption FC1 with Node 22, running as the user-assigned identity', () => {
    const api = moduleText('api');
    const plan = blockAfter(api, "resource plan 'Microsoft.Web/serverfarms@");
    expect(objectEntries(blockAfter(plan, 'sku:'))).toEqual(new Map([['tier', "'FlexConsumption'"], ['name', "'FC1'"]]));
    const site = blockAfter(api, "resource functionApp 'Microsoft.Web/sites@");
    expect(objectEntries(blockAfter(site, 'runtime:'))).toEqual(new Map([['name', "'node'"], ['version', "'22'"]]));
    expect(objectEntries(blockAfter(site, 'identity:')).get('type')).toBe("'UserAssigned'");
    const deployment = objectEntries(blockAfter(site, 'storage: {'));
    expect(deployment.get('type')).toBe("'blobContainer'");
    expect(deployment.get('value')).toContain('deploymentContainerName');
    expect(objectEntries(blockAfter(site, 'authentication:')).get('type')).toBe("'UserAssignedIdentity'");
    expect(objectEntries(site).get('kind')).toBe("'functionapp,linux'");
  });

  it('makes a keyless storage account with the deployment container, the queues and the table service', () => {
    const storage = moduleText('storage');
    const props = objectEntries(blockAfter(storage, 'properties: {'));
    expect(props.get('allowSharedKeyAccess')).toBe('false');
    expect(props.get('allowBlobPublicAccess')).toBe('false');
    expect(storage).toMatch(/resource queueServices 'queueServices'/);
    expect(storage).toMatch(/resource tableServices 'tableServices'/);
    expect(storage).toMatch(/resource deploymentContainer 'containers'/);
    const vars = bicepStringVars(main);
    expect(arrayItems(main, 'queueNames: [').map((v) => vars.get(v))).toEqual(['changes', 'changes-poison']);
  });

  it('makes workspace-based Application Insights that accepts only Entra-authenticated telemetry', () => {
    const monitoring = moduleText('monitoring');
    const props = objectEntries(blockAfter(blockAfter(monitoring, "resource applicationInsights 'Microsoft.Insights/components@"), 'properties:'));
    expect(props.get('DisableLocalAuth')).toBe('true');
    expect(props.get('WorkspaceResourceId')).toBe('logAnalytics.id');
    expect(monitoring).toMatch(/serializedData: loadTextContent\('\.\.\/workbook\.json'\)/);
  });

  it('outputs the webhook, notification and decisions URLs on the routes the handlers serve', () => {
    const outputs = bicepOutputs(main);
    const url = (route: string) => `'\${api.outputs.baseUrl}/api/${route}'`;
    expect(outputs.get('DATAVERSE_WEBHOOK_URL')).toBe(url(ROUTES.dataverseWebhook.route));
    expect(outputs.get('GRAPH_NOTIFICATION_URL')).toBe(url(ROUTES.graphNotifications.route));
    expect(outputs.get('GRAPH_LIFECYCLE_URL')).toBe(url(ROUTES.graphLifecycle.route));
    expect(outputs.get('DECISIONS_URL')).toBe(url(ROUTES.decisions.route));
    expect(outputs.get('MANAGED_IDENTITY_CLIENT_ID')).toBe('identity.outputs.clientId');
    expect(host().extensions?.http?.routePrefix ?? 'api').toBe('api');
  });
});

describe('azure.yaml', () => {
  const yaml = readRepoFile('azure.yaml');

  it('deploys the repository root as the TypeScript function service the Bicep tags', () => {
    const service = /^services:\n {2}(\w+):\n((?: {4}.+\n?)+)/m.exec(yaml);
    expect(service).not.toBeNull();
    const fields = Object.fromEntries(
      service![2]!.trim().split('\n').map((l) => l.trim().split(/:\s*/, 2) as [string, string]),
    );
    expect(fields).toMatchObject({ project: '.', language: 'ts', host: 'function' });
    const serviceName = /^param serviceName string = '([^']+)'$/m.exec(moduleText('api'))?.[1];
    expect(service![1]).toBe(serviceName);
    expect(moduleText('api')).toContain("'azd-service-name': serviceName");
  });
});

function host(): { extensions?: { http?: { routePrefix?: string } } } {
  return JSON.parse(readRepoFile('host.json')) as { extensions?: { http?: { routePrefix?: string } } };
}

describe('postdeploy hook', () => {
  const yaml = readRepoFile('azure.yaml');
  const script = readRepoFile('infra/hooks/postdeploy.sh');

  it('is wired into azure.yaml and executable', () => {
    const run = /postdeploy:\n\s+shell: sh\n\s+run: \.\/(\S+)/.exec(yaml)?.[1];
    expect(run).toBe('infra/hooks/postdeploy.sh');
    expect(statSync(resolve(infraDir, 'hooks/postdeploy.sh')).mode & 0o111).not.toBe(0);
  });

  it('sets the function key of the webhook function, which the host checks because the route is authLevel function', () => {
    expect(ROUTES.dataverseWebhook.authLevel).toBe('function');
    expect(script).toContain(`--function-name ${ROUTES.dataverseWebhook.name}`);
    expect(script).toContain('--key-value "$DATAVERSE_WEBHOOK_KEY"');
    // Both names are outputs of main.bicep, which azd hands to hooks as environment variables.
    const outputs = bicepOutputs(main);
    for (const name of ['AZURE_RESOURCE_GROUP', 'AZURE_FUNCTION_NAME']) {
      expect(script).toContain(`\${${name}:?`);
      expect(outputs.has(name), name).toBe(true);
    }
  });
});
