/**
 * The layering rules of .dependency-cruiser.cjs hold over src/ and functions/ (no import against a rule,
 * no circle), and the rule set itself catches the kinds of import it forbids.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cruise, type ICruiseResult, type IConfiguration } from 'dependency-cruiser';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const config = createRequire(import.meta.url)(join(ROOT, '.dependency-cruiser.cjs')) as IConfiguration;

async function cruiseIn(baseDir: string, paths: string[], exclude?: string): Promise<ICruiseResult> {
  const { output } = await cruise(paths, {
    baseDir,
    ...(exclude === undefined ? {} : { exclude: { path: exclude } }),
    validate: true,
    ruleSet: { forbidden: config.forbidden },
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'], exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  }, { extensions: ['.ts', '.js', '.json'], extensionAlias: { '.js': ['.ts', '.js'] } });
  return output as ICruiseResult;
}

function violations(result: ICruiseResult) {
  return result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
}

/** The longest chain of runtime imports inside src/ (type-only imports load nothing). Before the layering: 14 from the host, 13 from the composition root. */
function longestChain(result: ICruiseResult): string[] {
  const edges = new Map(result.modules.filter((m) => m.source.startsWith('src/')).map((m) => [m.source, m.dependencies.filter((d) => !d.dependencyTypes.includes('type-only')).map((d) => d.resolved).filter((r) => r.startsWith('src/'))]));
  const memo = new Map<string, string[]>();
  const chain = (from: string): string[] => {
    const known = memo.get(from);
    if (known !== undefined) return known;
    memo.set(from, [from]); // circles are reported by no-circular; stop here
    const best = (edges.get(from) ?? []).map(chain).reduce<string[]>((a, b) => (b.length > a.length ? b : a), []);
    const result = [from, ...best];
    memo.set(from, result);
    return result;
  };
  return [...edges.keys()].map(chain).reduce<string[]>((a, b) => (b.length > a.length ? b : a), []);
}

describe('dependency rules', () => {
  it('src/ and functions/ keep every layering rule and have no import circle', async () => {
    const result = await cruiseIn(ROOT, ['src', 'functions']);
    expect(result.summary.totalCruised).toBeGreaterThan(100);
    expect(violations(result)).toEqual([]);
  }, 60_000);

  it('src/ imports stack at most 12 modules deep from the host down (10 from the composition root)', async () => {
    // The CLI's command modules sit on top of the composition root like a host and are left out.
    const result = await cruiseIn(ROOT, ['src'], '^src/cli/');
    const chain = longestChain(result);
    expect(chain.length, chain.join(' → ')).toBeLessThanOrEqual(12);
    const fromRoot = longestChain({ ...result, modules: result.modules.filter((m) => !m.source.startsWith('src/server/')) });
    expect(fromRoot[0]).toMatch(/^src\/app\//);
    expect(fromRoot.length, fromRoot.join(' → ')).toBeLessThanOrEqual(10);
  }, 60_000);

  describe('the rule set catches what it forbids', () => {
    const dir = mkdtempSync(join(tmpdir(), 'layering-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const write = (path: string, text: string) => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    };
    write('src/pipeline/processor.ts', 'export const p = 1;\n');
    write('src/app/service.ts', 'export const s = 1;\n');
    write('src/handlers/routes.ts', "import { s } from '../app/service.js';\nexport const r = s;\n");
    write('src/graph/delta.ts', "import { p } from '../pipeline/processor.js';\nexport const d = p;\n");
    write('src/policy/decide.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n");
    write('src/store/a.ts', "import { b } from './b.js';\nexport const a = () => b;\n");
    write('src/store/b.ts', "import { a } from './a.js';\nexport const b = () => a;\n");
    write('src/server/worker.ts', "import { p } from '../pipeline/processor.js';\nexport const w = p;\n");

    it('reports a part importing upward, I/O in the policy, a circle, a handler on the root, a host past the handlers', async () => {
      const found = violations(await cruiseIn(dir, ['src']));
      expect(found).toEqual(
        expect.arrayContaining([
          'parts-stay-below: src/graph/delta.ts → src/pipeline/processor.ts',
          'pure-policy-and-domain: src/policy/decide.ts → fs',
          expect.stringMatching(/^no-circular: src\/store\/(a|b)\.ts → src\/store\/(a|b)\.ts$/),
          'handlers-transport-free: src/handlers/routes.ts → src/app/service.ts',
          'one-composition-root: src/handlers/routes.ts → src/app/service.ts',
          'hosts-are-thin: src/server/worker.ts → src/pipeline/processor.ts',
        ]),
      );
    }, 60_000);
  });
});
