/**
 * The layering rules (README "How it works"): hosts → app → handlers → pipeline → parts → base.
 * Checked by test/unit/architecture.test.ts in `npm test`.
 */
const PARTS = '(policy|domain|contracts|graph|dataverse|store|links|brake|execute|telemetry|net)';
const ABOVE_PARTS = '^src/(handlers|pipeline|app|server|cli)/';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import circles anywhere in src/ or functions/.',
      from: { path: '^(src|functions)/' },
      to: { circular: true },
    },
    {
      name: 'parts-stay-below',
      severity: 'error',
      comment: 'The parts never import handlers, the pipeline, the composition root, the hosts or the CLI: they receive what they need as ports.',
      from: { path: `^src/${PARTS}/` },
      to: { path: [ABOVE_PARTS, '^functions/'] },
    },
    {
      name: 'base-stays-below',
      severity: 'error',
      comment: 'config, errors and log are the base every layer uses; they import no layer.',
      from: { path: '^src/(config|errors|log)\\.ts$' },
      to: { path: '^src/[^/]+/' },
    },
    {
      name: 'pure-policy-and-domain',
      severity: 'error',
      comment: 'policy and domain do no I/O: they import only each other, the payload contracts, the errors and zod.',
      from: { path: '^src/(policy|domain)/' },
      to: { pathNot: ['^src/(policy|domain)/', '^src/contracts/(dataverse|graph|validate)\\.ts$', '^src/errors\\.ts$', '^node_modules/zod/'] },
    },
    {
      name: 'pipeline-not-above',
      severity: 'error',
      comment: 'The pipeline is below the handlers and the composition root.',
      from: { path: '^src/pipeline/' },
      to: { path: '^src/(handlers|app|server|cli)/|^functions/' },
    },
    {
      name: 'handlers-transport-free',
      severity: 'error',
      comment: 'Handlers are transport-free entry points: no Functions or Fastify types, no composition root, no hosts.',
      from: { path: '^src/handlers/' },
      to: { path: ['^src/(app|server|cli)/', '^functions/', '^node_modules/(@azure/functions|fastify)/'] },
    },
    {
      name: 'one-composition-root',
      severity: 'error',
      comment: 'Only the composition root (src/app) and the hosts build the service; nothing below imports them.',
      from: { path: '^src/', pathNot: '^src/(app|server|cli)/' },
      to: { path: '^src/app/' },
    },
    {
      name: 'hosts-are-thin',
      severity: 'error',
      comment: 'The hosts reach the pipeline only through the handlers.',
      from: { path: '^(functions|src/server)/' },
      to: { path: '^src/pipeline/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.json'] },
  },
};
