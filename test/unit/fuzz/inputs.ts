/**
 * Bad input, generated: real fixture bodies mutated at random paths (keys dropped, values swapped for
 * other JSON, wrong types), truncated, grown past the size limit, sprinkled with bytes that are not
 * UTF-8, or just random bytes and random JSON.
 */
import fc from 'fast-check';
import { fixtureText } from '../../helpers/requests.js';

type Json = unknown;

/** Every path to a value inside a JSON document (objects and arrays), root excluded. */
function pathsOf(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [];
  const entries: [string | number, Json][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  return entries.flatMap(([key, child]) => [[...prefix, key], ...pathsOf(child, [...prefix, key])]);
}

type Mutation = { kind: 'drop' } | { kind: 'replace'; with: Json };

function mutate(document: Json, path: (string | number)[], mutation: Mutation): Json {
  const copy = structuredClone(document) as Record<string | number, Json>;
  let parent: Record<string | number, Json> = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, Json>;
  const last = path.at(-1) as string | number;
  if (mutation.kind === 'replace') parent[last] = mutation.with;
  else if (Array.isArray(parent)) parent.splice(last as number, 1);
  else delete parent[last];
  return copy;
}

const replacement: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom(null, '', 0, -1, true, [], {}, '/Date(abc)/', '00000000-0000-0000-0000-000000000000', 'x'.repeat(300)),
  fc.jsonValue({ maxDepth: 2 }),
);

/** 1–3 random mutations of a JSON document. */
export function mutated(document: Json): fc.Arbitrary<Json> {
  const paths = pathsOf(document);
  const one = fc.tuple(fc.nat({ max: paths.length - 1 }), fc.oneof(fc.constant<Mutation>({ kind: 'drop' }), replacement.map<Mutation>((w) => ({ kind: 'replace', with: w }))));
  return fc.array(one, { minLength: 1, maxLength: 3 }).map((steps) =>
    steps.reduce<Json>((doc, [index, mutation]) => {
      const here = pathsOf(doc);
      return here.length === 0 ? doc : mutate(doc, here[index % here.length]!, mutation);
    }, document),
  );
}

/** Bytes of a valid body cut short. */
export function truncated(text: string): fc.Arbitrary<Buffer> {
  const bytes = Buffer.from(text, 'utf8');
  return fc.nat({ max: bytes.length - 1 }).map((n) => bytes.subarray(0, n));
}

/** A valid body with bytes that can never appear in UTF-8 (or a broken sequence) put in. */
export function notUtf8(text: string): fc.Arbitrary<Buffer> {
  const bytes = Buffer.from(text, 'utf8');
  const bad = fc.constantFrom([0xff], [0xfe], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xc0, 0xaf]);
  return fc.tuple(fc.nat({ max: bytes.length }), bad).map(([at, b]) => Buffer.concat([bytes.subarray(0, at), Buffer.from(b), bytes.subarray(at)]));
}

/** Any body a sender might get wrong, from one fixture. */
export function badBodies(fixture: string): fc.Arbitrary<Buffer> {
  const text = fixtureText(fixture);
  const document = JSON.parse(text) as Json;
  return fc.oneof(
    { arbitrary: mutated(document).map((d) => Buffer.from(JSON.stringify(d) ?? '', 'utf8')), weight: 6 },
    { arbitrary: truncated(text), weight: 2 },
    { arbitrary: notUtf8(text), weight: 2 },
    { arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)), weight: 1 },
    { arbitrary: fc.json({ maxDepth: 3 }).map((j) => Buffer.from(j, 'utf8')), weight: 1 },
  );
}

export const CONTENT_TYPES = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/xml',
    'text/json',
    '',
  ),
  fc.string({ maxLength: 40 }),
);
