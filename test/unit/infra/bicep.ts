/**
 * Just enough of a Bicep reader for the infrastructure tests (no Bicep compiler installs here): params
 * with their decorators, modules, outputs, and the keys and values of an object literal found after an
 * anchor. Strings and `//` comments are skipped when matching braces, so a '}' in a comment or a
 * description cannot end a block early.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const infraDir = resolve(repoRoot, 'infra');

export function readRepoFile(relative: string): string {
  return readFileSync(resolve(repoRoot, relative), 'utf8');
}

export interface BicepParam {
  name: string;
  type: string;
  hasDefault: boolean;
  /** The default as written (`''`, `1`, `true`, `deployer().objectId`), when there is one. */
  defaultValue: string | undefined;
  secure: boolean;
  /** Each decorator whole, a multi-line one (`@allowed([` … `])`) joined with newlines. */
  decorators: string[];
}

/** `param name type [= default]` with the decorators on the lines above it. */
export function bicepParams(text: string): Map<string, BicepParam> {
  const params = new Map<string, BicepParam>();
  const lines = text.split('\n');
  let decorators: string[] = [];
  let depth = 0;
  for (const line of lines) {
    const trimmed = line.trim();
    if (depth > 0 && decorators.length > 0) {
      decorators[decorators.length - 1] += `\n${trimmed}`;
    } else if (depth === 0 && trimmed.startsWith('@')) {
      decorators.push(trimmed);
    } else if (depth === 0 && /^param\s/.test(trimmed)) {
      const m = /^param\s+(\w+)\s+(\w+)(?:\s*=\s*(.*))?$/.exec(trimmed);
      if (!m) throw new Error(`unreadable param line: ${trimmed}`);
      params.set(m[1]!, {
        name: m[1]!,
        type: m[2]!,
        hasDefault: m[3] !== undefined,
        defaultValue: m[3],
        secure: decorators.some((d) => d.startsWith('@secure(')),
        decorators,
      });
      decorators = [];
    } else if (depth === 0 && trimmed !== '' && !trimmed.startsWith('//')) {
      decorators = [];
    }
    // Multi-line decorators (@allowed([...]), @metadata({...})) open brackets at depth 0.
    depth += bracketDelta(line);
  }
  return params;
}

/** The string literals of a param's `@allowed([...])`, or undefined without one. */
export function allowedValues(param: BicepParam): string[] | undefined {
  const allowed = param.decorators.find((d) => d.startsWith('@allowed('));
  return allowed === undefined ? undefined : [...allowed.matchAll(/'([^']*)'/g)].map((m) => m[1]!);
}

/** A number given to a decorator such as `@minValue(1)` or `@minLength(16)`. */
export function decoratorNumber(param: BicepParam, decorator: string): number | undefined {
  const m = param.decorators.map((d) => new RegExp(`^@${decorator}\\((\\d+)\\)$`).exec(d)).find(Boolean);
  return m ? Number(m[1]) : undefined;
}

function bracketDelta(line: string): number {
  let delta = 0;
  for (const ch of stripStringsAndComments(line)) {
    if (ch === '{' || ch === '[' || ch === '(') delta++;
    else if (ch === '}' || ch === ']' || ch === ')') delta--;
  }
  return delta;
}

/** Replaces string contents and comments with spaces, keeping offsets. Handles '' escapes-free Bicep strings with \' escapes. */
export function stripStringsAndComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') {
        out += ' ';
        i++;
      }
    } else if (ch === "'" && text.startsWith("'''", i)) {
      const end = text.indexOf("'''", i + 3);
      const stop = end === -1 ? text.length : end + 3;
      out += "'" + ' '.repeat(Math.max(0, stop - i - 2)) + "'";
      i = stop;
    } else if (ch === "'") {
      out += "'";
      i++;
      while (i < text.length && text[i] !== "'") {
        if (text[i] === '\\') {
          out += ' ';
          i++;
        }
        out += text[i] === '\n' ? '\n' : ' ';
        i++;
      }
      if (i < text.length) {
        out += "'";
        i++;
      }
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

/** The text of the `{ … }` (or `[ … ]`) block that opens at or after the first match of `anchor`. */
export function blockAfter(text: string, anchor: string, open: '{' | '[' = '{'): string {
  const close = open === '{' ? '}' : ']';
  const at = text.indexOf(anchor);
  if (at === -1) throw new Error(`anchor not found: ${anchor}`);
  const clean = stripStringsAndComments(text);
  const start = clean.indexOf(open, at);
  let depth = 0;
  for (let i = start; i < clean.length; i++) {
    if (clean[i] === open) depth++;
    else if (clean[i] === close && --depth === 0) return text.slice(start, i + 1);
  }
  throw new Error(`unbalanced block after: ${anchor}`);
}

/** The items of a one-item-per-line array literal that opens after `anchor`. */
export function arrayItems(text: string, anchor: string): string[] {
  const block = blockAfter(text, anchor, '[');
  return block
    .slice(1, -1)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('//'));
}

/** Top-level `key: value` pairs of an object block (values as written, one line each). */
export function objectEntries(block: string): Map<string, string> {
  const clean = stripStringsAndComments(block);
  const entries = new Map<string, string>();
  let depth = 0;
  let lineStart = 0;
  for (let i = 0; i <= clean.length; i++) {
    const ch = clean[i];
    if (ch === '\n' || i === clean.length) {
      if (depth === 1) {
        const raw = block.slice(lineStart, i);
        const m = /^\s*'?([\w.-]+)'?\s*:\s*(.*?)\s*$/.exec(stripComment(raw));
        if (m) entries.set(m[1]!, m[2]!);
      }
      lineStart = i + 1;
    }
    if (ch === '{' || ch === '[' || ch === '(') depth++;
    else if (ch === '}' || ch === ']' || ch === ')') depth--;
    // A key whose value opens a block on the same line is still a depth-1 key.
    if ((ch === '{' || ch === '[') && depth === 2) {
      const raw = block.slice(lineStart, i + 1);
      const m = /^\s*'?([\w.-]+)'?\s*:\s*(.*?)\s*$/.exec(stripComment(raw));
      if (m) entries.set(m[1]!, m[2]!);
    }
  }
  return entries;
}

function stripComment(line: string): string {
  const clean = stripStringsAndComments(line);
  const at = clean.indexOf('//');
  return at === -1 ? line : line.slice(0, at);
}

export interface BicepModule {
  symbol: string;
  path: string;
  params: Map<string, string>;
}

export function bicepModules(text: string): BicepModule[] {
  const modules: BicepModule[] = [];
  for (const m of text.matchAll(/^module\s+(\w+)\s+'([^']+)'\s*=/gm)) {
    const body = blockAfter(text.slice(m.index), m[0]);
    modules.push({ symbol: m[1]!, path: m[2]!, params: objectEntries(blockAfter(body, 'params:')) });
  }
  return modules;
}

export function bicepOutputs(text: string): Map<string, string> {
  const outputs = new Map<string, string>();
  for (const m of text.matchAll(/^output\s+(\w+)\s+\w+\s*=\s*(.+)$/gm)) outputs.set(m[1]!, m[2]!);
  return outputs;
}

/** Every one-line `var name = expression`, the expression as written. */
export function bicepVars(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const m of text.matchAll(/^var\s+(\w+)\s*=\s*(.+?)\s*$/gm)) vars.set(m[1]!, m[2]!);
  return vars;
}

/** `var name = '…'` string variables. */
export function bicepStringVars(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const m of text.matchAll(/^var\s+(\w+)\s*=\s*'([^']*)'\s*$/gm)) vars.set(m[1]!, m[2]!);
  return vars;
}

/** A value written as a single-quoted string literal, else undefined. */
export function stringLiteral(value: string | undefined): string | undefined {
  const m = value === undefined ? null : /^'([^']*)'$/.exec(value);
  return m ? m[1] : undefined;
}
