/**
 * The shape of the azd template, checked without a Bicep compiler: modules wire up (every required
 * parameter passed, no unknown one), the parameters file matches, the identity gets the roles the code
 * needs, and the resources are the Flex Consumption / keyless-storage / Key Vault / Entra-only shapes we
 * rely on. azure.yaml is read with a YAML parser against what azd (Azure/azure-dev) does with it.
 */
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_PACKAGE_DIR } from '../../../infra/package/build.js';
import { funcignoreRules } from '../../../infra/package/contents.js';
import { OUTLOOK_MAILBOX_CONCURRENCY } from '../../../src/graph/batch.js';
import { ROUTES } from '../../../src/handlers/routes.js';
import {
  allowedValues,
  arrayItems,
  bicepModules,
  bicepOutputs,
  bicepParams,
  bicepStringVars,
  blockAfter,
  decoratorNumber,
  infraDir,
  objectEntries,
  readRepoFile,
  repoRoot,
  stringLiteral,
} from './bicep.js';

const main = readRepoFile('infra/main.bicep');
const modules = bicepModules(main);
const moduleText = (symbol: string) => readRepoFile(`infra/${modules.find((m) => m.symbol === symbol)!.path}`);

describe('modules', () => {
  it('main.bicep uses one module per concern, each file present', () => {
    expect(modules.map((m) => m.symbol).sort()).toEqual(['api', 'auth', 'identity', 'keyVault', 'monitoring', 'rbac', 'storage']);
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
    expect(required.length).toBeGreaterThanOrEqual(4);
    expect(required.filter((p) => !(p in file.parameters))).toEqual([]);
  });

  it('takes every value from the azd environment: nothing is written in the file', () => {
    for (const [name, { value }] of Object.entries(file.parameters)) {
      expect(value, name).toMatch(/^\$\{[A-Z_]+(=[^}]*)?\}$/);
    }
  });

  it('has the Dataverse URL, tenant, synced group, policy, scale and operator access as parameters, and no secret', () => {
    for (const name of ['dataverseUrl', 'graphTenantId', 'syncGroupId', 'policyFile', 'alwaysReadyHttpInstances', 'maximumInstanceCount', 'grantDeployerDataAccess']) {
      expect(params.has(name), name).toBe(true);
    }
    // Secrets are created in Key Vault by the postprovision hook, so no deployment carries them.
    expect([...params.values()].filter((p) => p.secure)).toEqual([]);
    expect(Object.keys(file.parameters).filter((p) => /key|secret|password/i.test(p))).toEqual([]);
  });
});

describe('roles', () => {
  const rbac = moduleText('rbac');
  const roleIds = new Map([...objectEntries(blockAfter(rbac, 'var roles = {'))].map(([k, v]) => [k, stringLiteral(v)]));

  // Built-in role definition ids ("Azure built-in roles").
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

  it('gives the deploying principal the queue and table data roles only when asked (issue 16, item 9)', () => {
    expect(bicepParams(main).get('grantDeployerDataAccess')?.defaultValue).toBe('false');
    const passed = modules.find((m) => m.symbol === 'rbac')!.params;
    expect(passed.get('operatorPrincipalId')).toBe("grantDeployerDataAccess ? deployer().objectId : ''");
    expect(bicepParams(rbac).get('operatorPrincipalId')?.defaultValue).toBe("''");
    expect(arrayItems(rbac, 'var operatorRoles = [').sort()).toEqual([
      'roles.storageQueueDataContributor',
      'roles.storageTableDataContributor',
    ]);
    // A conditional loop: no assignment at all while operatorPrincipalId is empty.
    const head = "resource operatorRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for roleId in operatorRoles: if (!empty(operatorPrincipalId))";
    expect(rbac).toContain(head);
    const assignment = blockAfter(rbac, head);
    expect(objectEntries(assignment).get('scope')).toBe('storage');
    expect(objectEntries(blockAfter(assignment, 'properties:')).get('principalId')).toBe('operatorPrincipalId');
  });

  it('lets the identity read secrets and the deploying principal write them, on the vault only', () => {
    const vault = moduleText('keyVault');
    const ids = new Map([...objectEntries(blockAfter(vault, 'var roles = {'))].map(([k, v]) => [k, stringLiteral(v)]));
    expect(Object.fromEntries(ids)).toEqual({
      keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
      keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
    });
    const user = blockAfter(vault, "resource secretsUser 'Microsoft.Authorization/roleAssignments@");
    const officer = blockAfter(vault, "resource secretsOfficer 'Microsoft.Authorization/roleAssignments@");
    for (const block of [user, officer]) expect(objectEntries(block).get('scope')).toBe('vault');
    expect(objectEntries(blockAfter(user, 'properties:')).get('principalId')).toBe('readerPrincipalId');
    expect(objectEntries(blockAfter(officer, 'properties:')).get('principalId')).toBe('officerPrincipalId');
    const passed = modules.find((m) => m.symbol === 'keyVault')!.params;
    expect(passed.get('readerPrincipalId')).toBe('identity.outputs.principalId');
    expect(passed.get('officerPrincipalId')).toBe('deployer().objectId');
    const props = objectEntries(blockAfter(vault, "resource vault 'Microsoft.KeyVault/vaults@"));
    expect(props.has('properties')).toBe(true);
    const vaultProps = objectEntries(blockAfter(blockAfter(vault, "resource vault 'Microsoft.KeyVault/vaults@"), 'properties:'));
    expect(vaultProps.get('enableRbacAuthorization')).toBe('true');
    expect(vaultProps.has('accessPolicies')).toBe(false);
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

  it('offers only regions where Flex Consumption runs, so a wrong one fails before anything is made (item 5)', () => {
    const location = bicepParams(main).get('location')!;
    const regions = allowedValues(location)!;
    expect(regions.length).toBeGreaterThanOrEqual(25);
    for (const r of regions) expect(r).toMatch(/^[a-z]+[0-9]?$/);
    expect(regions.filter((r) => r.endsWith('euap'))).toEqual([]); // canary regions are not for customers
    expect(new Set(regions).size).toBe(regions.length);
    expect(location.decorators.join('\n')).toContain("type: 'location'");
  });

  it('keeps the HTTP functions warm and caps each function group\'s on-demand instances (item 6)', () => {
    const params = bicepParams(main);
    const ready = params.get('alwaysReadyHttpInstances')!;
    expect(ready.defaultValue).toBe('1');
    expect(decoratorNumber(ready, 'minValue')).toBe(0);
    const max = params.get('maximumInstanceCount')!;
    // "Event-driven scaling in Azure Functions", Limit scale-out: the lowest maximum is 1, the highest 1000.
    expect([decoratorNumber(max, 'minValue'), decoratorNumber(max, 'maxValue')]).toEqual([1, 1000]);
    // One change message's fan-out keeps ≤ 4 requests per mailbox; each further queue-processor
    // instance can add as much again, so the default is the fewest instances Flex allows.
    expect(OUTLOOK_MAILBOX_CONCURRENCY).toBe(4);
    expect(Number(max.defaultValue)).toBe(decoratorNumber(max, 'minValue'));

    const api = moduleText('api');
    const scale = blockAfter(blockAfter(api, "resource functionApp 'Microsoft.Web/sites@"), 'scaleAndConcurrency:');
    expect(objectEntries(scale).get('maximumInstanceCount')).toBe('maximumInstanceCount');
    const ready0 = objectEntries(blockAfter(blockAfter(scale, 'alwaysReady:', '['), '{'));
    expect(ready0).toEqual(new Map([['name', "'http'"], ['instanceCount', 'alwaysReadyHttpInstances']]));
    const passed = modules.find((m) => m.symbol === 'api')!.params;
    expect(passed.get('maximumInstanceCount')).toBe('maximumInstanceCount');
    expect(passed.get('alwaysReadyHttpInstances')).toBe('alwaysReadyHttpInstances');
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
    // No prefix from the host: the adapter spells out /api/ for the API routes, and the explorer page sits at /explorer.
    expect(host().extensions?.http?.routePrefix).toBe('');
    expect(readRepoFile('functions/lib/adapter.ts')).toContain("prefix: 'api/' | '' = 'api/'");
  });
});

describe('azure.yaml', () => {
  interface Hook { shell: string; run: string }
  const yaml = parseYaml(readRepoFile('azure.yaml')) as {
    requiredVersions: { azd: string };
    hooks: Record<string, Hook>;
    services: Record<string, { project: string; language: string; host: string; remoteBuild: boolean; dist: string; hooks: Record<string, Hook> }>;
  };

  it('deploys the repository root as the TypeScript function service the Bicep tags', () => {
    expect(Object.keys(yaml.services)).toEqual(['api']);
    const service = yaml.services.api!;
    expect(service).toMatchObject({ project: '.', language: 'ts', host: 'function' });
    const serviceName = /^param serviceName string = '([^']+)'$/m.exec(moduleText('api'))?.[1];
    expect(serviceName).toBe('api');
    expect(moduleText('api')).toContain("'azd-service-name': serviceName");
  });

  it('builds locally and uploads the staged package as it is (item 1)', () => {
    // azd 1.9.4–1.23.11 chose a remote build for TypeScript Flex apps when remoteBuild was unset.
    expect(yaml.services.api!.remoteBuild).toBe(false);
    expect(yaml.services.api!.dist).toBe(DEFAULT_PACKAGE_DIR);
    // azd (pkg/project/service_target_functionapp.go) refuses remoteBuild: false when the ignore file excludes node_modules.
    expect(funcignoreRules(repoRoot).ignores('node_modules/')).toBe(false);
    expect(readRepoFile('.funcignore')).not.toMatch(/^!/m); // no negations: azd before 1.23.13 mis-read them
    const minimum = /^>=\s*(\d+)\.(\d+)\.(\d+)$/.exec(yaml.requiredVersions.azd);
    expect(minimum, yaml.requiredVersions.azd).not.toBeNull();
    const [major, minor, patch] = minimum!.slice(1).map(Number);
    expect(major! * 1e6 + minor! * 1e3 + patch!).toBeGreaterThanOrEqual(1_023_013);
  });

  it('runs the hooks from infra/hooks with sh', () => {
    expect(yaml.hooks.postprovision).toEqual({ shell: 'sh', run: './infra/hooks/postprovision.sh' });
    expect(yaml.services.api!.hooks.postdeploy).toEqual({ shell: 'sh', run: './infra/hooks/postdeploy.sh' });
    for (const hook of [yaml.hooks.postprovision!, yaml.services.api!.hooks.postdeploy!]) {
      expect(existsSync(resolve(repoRoot, hook.run)), hook.run).toBe(true);
    }
  });
});

function host(): { extensions?: { http?: { routePrefix?: string } } } {
  return JSON.parse(readRepoFile('host.json')) as { extensions?: { http?: { routePrefix?: string } } };
}
