import fc from 'fast-check';
import {
  NotFoundError,
  RecipientSourceError,
  ValidationError,
  type Scheduler,
  type TickworkError,
} from '../../src/index.js';
import { MAX_ID } from '../../src/schemas.js';
import { START } from '../support/harness.js';
import { cyclic, protoKey, render, type SeedIds } from './support.js';

/*
 * The hostile inputs, method by method. Every case is built from a valid call with exactly
 * one thing made wrong (a field given a value it can never take, a required field left
 * out, an unknown field added, the whole argument of the wrong type), or two things (the
 * random part), so the error must name that thing. A few cases per method are valid
 * controls or well-formed ids that do not exist, to show the harness sees acceptance and
 * the library's typed NotFoundError.
 *
 * Curated values are listed in full; fast-check adds generated ones (random strings with
 * U+0000 or lone surrogates, integers past the bounds, dates outside 1900–9999, poisoned
 * JSON data) from a fixed seed.
 */

export type Call = (scheduler: Scheduler) => unknown;

export type Category = 'invalid' | 'not-found' | 'valid';

export interface Outcome {
  /** The method threw instead of returning a promise. */
  sync: boolean;
  /** It returned something that is not a promise. */
  notPromise: boolean;
  status: 'resolved' | 'rejected';
  value?: unknown;
  error?: unknown;
}

export interface Case {
  label: string;
  /** Cases of a group run in their own test (see fuzz.test.ts), not in their method's. */
  group?: 'non-plain-object';
  category: Category;
  call: Call;
  /** Why the outcome is wrong, or undefined when it is right. */
  judge(outcome: Outcome): string | undefined;
  /** A valid control that may write (its writes are not counted as rows changed). */
  writes?: boolean;
}

export interface Target {
  method: string;
  cases: Case[];
}

// ---------------------------------------------------------------------------------------
// Judging

/** For a whole argument of the wrong type: any issue is about it. */
export const ANY_FIELD: readonly string[] = ['*'];

/** Whether a ValidationError names one of `fields` (a path equal to or under it, or an unknown key). */
export function namesField(error: ValidationError, fields: readonly string[]): boolean {
  if (fields === ANY_FIELD) return error.issues.length > 0;
  return fields.some((field) =>
    error.issues.some(
      (issue) =>
        issue.path === field ||
        (field !== '' && issue.path.startsWith(`${field}.`)) ||
        (field !== '' && issue.message.includes(`"${field}"`)),
    ),
  );
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message.slice(0, 160)}`;
  return `non-Error ${render(error)}`;
}

interface Acceptable {
  error: abstract new (...args: never[]) => TickworkError;
  /** For a ValidationError: the fields one of which it must name. */
  fields?: readonly string[];
}

function rejectsWith(acceptable: readonly Acceptable[]) {
  return (outcome: Outcome): string | undefined => {
    if (outcome.status === 'resolved') return `accepted (resolved ${render(outcome.value, 60)})`;
    const error = outcome.error;
    for (const a of acceptable) {
      if (!(error instanceof a.error)) continue;
      if (a.fields && error instanceof ValidationError && !namesField(error, a.fields)) {
        return `ValidationError not naming ${a.fields.map((f) => `'${f}'`).join('/')}: ${error.message.slice(0, 120)}`;
      }
      return undefined;
    }
    return `wrong error ${describeError(error)}`;
  };
}

export function invalid(
  label: string,
  fields: readonly string[],
  call: Call,
  alsoAccept: readonly Acceptable[] = [],
): Case {
  return {
    label,
    category: 'invalid',
    call,
    judge: rejectsWith([{ error: ValidationError, fields }, ...alsoAccept]),
  };
}

export function notFound(label: string, call: Call): Case {
  return { label, category: 'not-found', call, judge: rejectsWith([{ error: NotFoundError }]) };
}

/** A well-formed call whose documented answer is a value, not an error (e.g. get of an unknown key). */
export function answers(
  label: string,
  call: Call,
  check: (value: unknown) => boolean,
  expected: string,
): Case {
  return {
    label,
    category: 'not-found',
    call,
    judge: (o) =>
      o.status === 'rejected'
        ? `rejected ${describeError(o.error)}`
        : check(o.value)
          ? undefined
          : `resolved ${render(o.value, 60)}, expected ${expected}`,
  };
}

export function valid(label: string, call: Call, writes = false): Case {
  return {
    label,
    category: 'valid',
    call,
    writes,
    judge: (o) => (o.status === 'rejected' ? `valid call rejected: ${describeError(o.error)}` : undefined),
  };
}

// ---------------------------------------------------------------------------------------
// Values

export const MIN_MS = Date.UTC(1900, 0, 1);
export const MAX_MS = Date.UTC(9999, 11, 31);
const NUL = 'a\u0000b';
const SURROGATE = 'a\uD800b';
const LOW_SURROGATE = '\uDC00tail';
const TEN_YEARS_MS = 10 * 366 * 24 * 60 * 60_000;
/** Ids that are well formed and never exist in the seeded database. */
export const MISSING_IDS: unknown[] = [MAX_ID, String(MAX_ID), 999_999];

/** Passes `instanceof Date` but is not one: getTime() throws. */
function fakeDate(): Date {
  return Object.create(Date.prototype) as Date;
}

export function badIds(): unknown[] {
  return [
    undefined,
    null,
    0,
    -1,
    -0,
    1.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    2 ** 31,
    2 ** 53,
    1e21,
    Number.MAX_VALUE,
    '0',
    '-1',
    '1.5',
    '1e3',
    ' 1',
    '0x10',
    '',
    'abc',
    '2147483648',
    '99999999999999999999',
    true,
    {},
    [],
    [1],
    10n,
    new Date(0),
    { valueOf: () => 1 },
  ];
}

/** Strings that are no text a row should hold: U+0000, lone surrogates. */
function poisonedText(): unknown[] {
  return [NUL, SURROGATE, LOW_SURROGATE];
}

function notStrings(): unknown[] {
  return [5, true, {}, [], ['a'], 10n, new Date(0)];
}

/** Bad values of a string field: `max` its documented length, `trimmed` when blank counts as empty. */
export function badText(options: { max?: number; trimmed?: boolean; nullable?: boolean; emptyOk?: boolean }) {
  const values = [...notStrings(), ...poisonedText()];
  if (!options.nullable) values.push(null);
  if (!options.emptyOk) values.push('');
  if (options.trimmed) values.push('   ', '\t\n');
  if (options.max !== undefined) values.push('x'.repeat(options.max + 1));
  return values;
}

export function badEmails(): unknown[] {
  return [
    'nope',
    '',
    'a@',
    '@example.org',
    'a b@example.org',
    'a@example.org\u0000',
    'a\uD800@example.org',
    'ann@example.org, bob@example.org',
    5,
    null,
    {},
    ['a@example.org'],
  ];
}

export function badTimezones(nullable = false): unknown[] {
  const values: unknown[] = [
    'Europe/Berln',
    'Mars/Base',
    '',
    'UTC+1',
    '+05:30',
    'utc',
    '../../etc/passwd',
    'Europe/Berlin\u0000',
    'x'.repeat(300),
    5,
    {},
    ['UTC'],
  ];
  if (!nullable) values.push(null);
  return values;
}

export function badCrons(): unknown[] {
  return [
    '61 * * * *',
    '* * *',
    'every day',
    '',
    '0 0 30 2 *',
    '*/0 * * * *',
    '* * * * * * *',
    '0 9 * * 1\u0000',
    '@reboot',
    'x'.repeat(1000),
    5,
    null,
    {},
  ];
}

/** Not an instant in the supported range, in any form the API takes (a Date or an ISO string with an offset). */
export function badInstants(): unknown[] {
  return [
    'yesterday',
    '2026-03-02',
    '2026-03-02T09:00:00',
    '2026-13-01T00:00:00Z',
    '1899-12-31T23:59:59Z',
    '+010000-01-01T00:00:00Z',
    '',
    5,
    Date.parse(START),
    true,
    {},
    [],
    10n,
    new Date(Number.NaN),
    new Date(MIN_MS - 1),
    new Date(MAX_MS + 1),
    new Date(Date.UTC(10000, 0, 1)),
    new Date(-8.64e15),
    new Date(8.64e15),
    fakeDate(),
    { getTime: () => Date.parse(START) },
  ];
}

/** Values of `now` (tick and the process* methods), which must be a Date in the supported range. */
export function badDates(): unknown[] {
  return [null, '2026-03-02T08:00:00Z', ...badInstants()];
}

/** Free-form JSON data fields (recipient data): values a row must never hold. */
export function badData(options: { nullable?: boolean } = {}): unknown[] {
  const values: unknown[] = [
    'str',
    5,
    true,
    [1, 2],
    [],
    10n,
    new Date(0),
    { n: 10n },
    { deep: { list: [1, 10n] } },
    cyclic(),
    { name: NUL },
    { name: SURROGATE },
    { 'key\u0000': 'v' },
    { ['key\uD800']: 'v' },
    protoKey(),
  ];
  if (!options.nullable) values.push(null);
  return values;
}

export function wholeArgs(optional: boolean): unknown[] {
  const values: unknown[] = [null, 42, 'str', true, [], [{}], 10n, cyclic()];
  if (!optional) values.push(undefined);
  return values;
}

/** Objects that are not plain objects: zod takes them for `{}` unless told otherwise. */
export function nonPlainObjects(): unknown[] {
  return [new Date(0), new Map([['subject', 'x']])];
}

// ---------------------------------------------------------------------------------------
// Generated values (fast-check)

const asciiText = fc.string({ maxLength: 12 });

export const gen = {
  id: fc.oneof(
    fc.integer({ min: MAX_ID + 1, max: Number.MAX_SAFE_INTEGER }),
    fc.integer({ min: Number.MIN_SAFE_INTEGER, max: 0 }),
    fc.double({ noInteger: true }),
    fc.bigInt({ min: 2n ** 31n, max: 2n ** 80n }).map(String),
    asciiText.filter((s) => !/^\d+$/.test(s)),
    fc.bigInt(),
  ),
  /** Not an integer in [min, max], also after the coercion some query schemas apply. */
  int: (min: number, max: number) =>
    fc.oneof(
      ...(min > Number.MIN_SAFE_INTEGER ? [fc.integer({ min: Number.MIN_SAFE_INTEGER, max: min - 1 })] : []),
      ...(max < Number.MAX_SAFE_INTEGER ? [fc.integer({ min: max + 1, max: Number.MAX_SAFE_INTEGER })] : []),
      fc.double({ noInteger: true }),
      asciiText.filter((s) => {
        const n = Number(s);
        return !(Number.isInteger(n) && n >= min && n <= max);
      }),
    ),
  /** Text with U+0000 or a lone surrogate inside, or too long, or not text. */
  text: (max?: number, trimmed = false) =>
    fc.oneof(
      fc.tuple(asciiText, asciiText).map(([a, b]) => `${a}\u0000${b}`),
      fc
        .tuple(asciiText, fc.constantFrom('\uD800', '\uDBFF', '\uDC00', '\uDFFF'), asciiText)
        .map(([a, s, b]) => `${a}${s}${b}`),
      fc.integer(),
      fc.boolean(),
      ...(max === undefined
        ? []
        : [
            fc
              .string({ minLength: max + 1, maxLength: max + 40 })
              .filter((s) => (trimmed ? s.trim() : s).length > max),
          ]),
    ),
  date: fc.oneof(
    fc.date({ max: new Date(MIN_MS - 1), noInvalidDate: true }),
    fc.date({ min: new Date(MAX_MS + 1), noInvalidDate: true }),
  ),
  /** Out-of-range instants as Dates or as the ISO strings the recurring API also takes. */
  instant: fc.oneof(
    fc.date({ max: new Date(MIN_MS - 1), noInvalidDate: true }),
    fc.date({ min: new Date(MAX_MS + 1), noInvalidDate: true }),
    fc.date({ max: new Date(MIN_MS - 1), noInvalidDate: true }).map((d) => d.toISOString()),
    fc.date({ min: new Date(MAX_MS + 1), noInvalidDate: true }).map((d) => d.toISOString()),
    asciiText,
  ),
  email: fc.oneof(
    fc.emailAddress().map((e) => e.replace('@', '@@')),
    fc.emailAddress().map((e) => `${e}\u0000`),
    fc.emailAddress().map((e) => `\uD800${e}`),
    fc.emailAddress().map((e) => e.replace('@', ' ')),
    asciiText.filter((s) => !s.includes('@')),
  ),
  timezone: fc.oneof(
    asciiText.map((s) => `Nowhere/${s}`),
    fc.integer({ min: 1, max: 14 }).map((h) => `UTC+${h}`),
    fc.integer({ min: 1, max: 14 }).map((h) => `-${String(h).padStart(2, '0')}:00`),
  ),
  cron: fc.oneof(
    fc.integer({ min: 60, max: 100_000 }).map((m) => `${m} * * * *`),
    fc.integer({ min: 24, max: 1000 }).map((h) => `0 ${h} * * *`),
    asciiText.filter((s) => !/\s/.test(s) && !s.startsWith('@')),
  ),
  /** A small JSON object with one poisoned entry: BigInt, a cycle, U+0000, a lone surrogate, a __proto__ key. */
  data: fc
    .tuple(
      fc.dictionary(
        fc
          .string({ minLength: 1, maxLength: 6 })
          .filter((k) => !['__proto__', 'timezone', 'email', 'data'].includes(k)),
        fc.oneof(asciiText, fc.integer()),
        { maxKeys: 3 },
      ),
      fc.constantFrom('bigint', 'cycle', 'nul', 'surrogate', 'nul-key', 'proto'),
    )
    .map(([base, poison]) => {
      const data: Record<string, unknown> = { ...base };
      if (poison === 'bigint') data.poison = 2n ** 70n;
      else if (poison === 'cycle') data.poison = cyclic();
      else if (poison === 'nul') data.poison = `x\u0000${Object.keys(base).join('')}`;
      else if (poison === 'surrogate') data.poison = `\uDBFF${Object.keys(base).join('')}`;
      else if (poison === 'nul-key') data['poison\u0000'] = 1;
      else return Object.assign(protoKey({ polluted: 'yes' }), data);
      return data;
    }),
};

// ---------------------------------------------------------------------------------------
// Building cases from a valid call

export interface Field {
  bad: unknown[];
  random?: fc.Arbitrary<unknown>;
  required?: boolean;
}

interface ObjectArg {
  /** The argument's name, for labels (and as an accepted path for the whole argument). */
  name: string;
  /** A valid value; `i` makes keys and addresses unique per case. */
  base: (i: number) => Record<string, unknown>;
  fields: Record<string, Field>;
  /** The prefix the library puts on this argument's paths (e.g. 'options'), if any. */
  prefix?: string;
  /** Undefined is a valid value of the whole argument. */
  optional?: boolean;
  invoke: (value: unknown, i: number) => Call;
  /** Per-field path aliases (a field checked under another name). */
  aliases?: Record<string, string[]>;
  /** Whether to replace the whole argument by values of the wrong type (default true). */
  wholeCases?: boolean;
}

export class CaseBuilder {
  readonly cases: Case[] = [];
  private next = 0;

  constructor(
    readonly method: string,
    readonly seed: number,
    readonly randomRuns: number,
  ) {}

  /** `randomRuns` generated values, from this method's seed (`salt` keeps arguments apart). */
  sample<T>(arbitrary: fc.Arbitrary<T>, salt = 2): T[] {
    return fc.sample(arbitrary, { seed: this.seed + salt, numRuns: this.randomRuns });
  }

  /** A number unique within this method's cases. */
  index(): number {
    return this.next++;
  }

  add(...cases: Case[]): this {
    this.cases.push(...cases);
    return this;
  }

  private paths(arg: ObjectArg, field: string): string[] {
    const own = [field, ...(arg.aliases?.[field] ?? [])];
    return arg.prefix ? [...own, ...own.map((p) => `${arg.prefix}.${p}`)] : own;
  }

  /** Every curated corruption of one object argument, then generated ones. */
  object(arg: ObjectArg): this {
    for (const [field, spec] of Object.entries(arg.fields)) {
      for (const value of spec.bad) {
        const i = this.index();
        this.add(
          invalid(
            `${arg.name}.${field}=${render(value)}`,
            this.paths(arg, field),
            arg.invoke({ ...arg.base(i), [field]: value }, i),
          ),
        );
      }
      if (spec.required) {
        const i = this.index();
        const { [field]: _omitted, ...rest } = arg.base(i);
        this.add(invalid(`${arg.name}.${field} missing`, this.paths(arg, field), arg.invoke(rest, i)));
      }
    }
    for (const key of ['unexpectedField', 'constructor', '__proto__']) {
      const i = this.index();
      const value =
        key === '__proto__'
          ? Object.assign(protoKey({ polluted: 'yes' }), arg.base(i))
          : { ...arg.base(i), [key]: 1 };
      this.add(invalid(`${arg.name} + unknown key ${key}`, [key], arg.invoke(value, i)));
    }
    // The whole argument is the offending field: any ValidationError names (part of) it.
    if (arg.wholeCases !== false) {
      for (const value of wholeArgs(arg.optional ?? false)) {
        const i = this.index();
        this.add(invalid(`${arg.name}=${render(value)}`, ANY_FIELD, arg.invoke(value, i)));
      }
      for (const value of nonPlainObjects()) {
        const i = this.index();
        this.add({
          ...invalid(`${arg.name}=${render(value)}`, ANY_FIELD, arg.invoke(value, i)),
          group: 'non-plain-object',
        });
      }
    }
    this.randomObject(arg);
    return this;
  }

  private randomObject(arg: ObjectArg): void {
    const generated = Object.entries(arg.fields).filter(([, f]) => f.random);
    if (generated.length === 0) return;
    const one = fc
      .constantFrom(...generated)
      .chain(([field, f]) => f.random!.map((value) => ({ [field]: value })));
    const two =
      generated.length < 2
        ? one
        : fc
            .uniqueArray(fc.constantFrom(...generated), { minLength: 2, maxLength: 2, selector: ([n]) => n })
            .chain((pair) =>
              fc
                .tuple(...pair.map(([, f]) => f.random!))
                .map((values) => Object.fromEntries(pair.map(([n], k) => [n, values[k]]))),
            );
    const samples = this.sample(fc.oneof(one, two), 0);
    for (const changes of samples) {
      const i = this.index();
      const fields = Object.keys(changes).flatMap((f) => this.paths(arg, f));
      this.add(
        invalid(
          `${arg.name} generated ${Object.entries(changes)
            .map(([k, v]) => `${k}=${render(v, 50)}`)
            .join(', ')}`,
          fields,
          arg.invoke({ ...arg.base(i), ...changes }, i),
        ),
      );
    }
  }

  /** Bad values of one positional argument (an id, a key, `now`), curated then generated. */
  positional(
    name: string,
    bad: unknown[],
    random: fc.Arbitrary<unknown> | undefined,
    invoke: (value: unknown) => Call,
    paths: string[] = [name],
  ): this {
    for (const value of bad) this.add(invalid(`${name}=${render(value)}`, paths, invoke(value)));
    if (random) {
      for (const value of this.sample(random, 1)) {
        this.add(invalid(`${name} generated ${render(value)}`, paths, invoke(value)));
      }
    }
    return this;
  }

  /** An id argument: bad ids, then well-formed ids that do not exist. */
  id(
    name: string,
    invoke: (value: unknown) => Call,
    missing: 'not-found' | 'none' = 'not-found',
    exclude?: (v: unknown) => boolean,
  ): this {
    const bad = badIds().filter((v) => !exclude?.(v));
    this.positional(name, bad, gen.id, invoke);
    if (missing === 'not-found') {
      for (const id of MISSING_IDS) this.add(notFound(`${name}=${render(id)} (does not exist)`, invoke(id)));
    }
    return this;
  }

  /** `now` of tick and the process* methods. */
  now(invoke: (value: unknown) => Call): this {
    return this.positional('now', [undefined, ...badDates()], gen.date, invoke);
  }
}

/** Fields of a step (addStep, updateStep, and each step of sequences.create). */
export function stepFields(requiredSubject: boolean): Record<string, Field> {
  return {
    stepOrder: {
      bad: [0, -1, 1.5, 'first', '1', 101, 2 ** 31, null, Number.NaN, 50],
      random: gen.int(1, 100),
    },
    templateId: { bad: [0, -1, 1.5, 2 ** 31, Number.NaN, '7', true, {}, 10n], random: gen.int(1, MAX_ID) },
    subject: {
      bad: badText({ max: 998, trimmed: true }),
      random: gen.text(998, true),
      required: requiredSubject,
    },
    delayDays: {
      bad: [-1, 1.5, '2', 36_501, Number.NaN, null, Number.POSITIVE_INFINITY],
      random: gen.int(0, 36_500),
    },
    delayHours: { bad: [-3, 'x', 2.5, 876_001, null], random: gen.int(0, 876_000) },
    sendTime: {
      bad: ['25:00', '9:00', '09:60', 900, '', '09:00:00', 'ab:cd', '09:00\u0000', '０９:００'],
    },
  };
}

export { MAX_ID, TEN_YEARS_MS, NUL, SURROGATE, RecipientSourceError };
export type { SeedIds };
