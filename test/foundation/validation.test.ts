/*
 * The input checks every public method shares (src/validation.ts, src/schemas.ts), as units:
 * what the hostile-input harness (test/hostile) cannot show method by method.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../../src/errors.js';
import { jsonProblem } from '../../src/schemas.js';
import { parseInput } from '../../src/validation.js';

const record = z.record(z.string(), z.unknown());
const options = z.strictObject({ reason: z.string().optional() });

function issuesOf(run: () => unknown): Array<{ path: string; message: string }> {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues;
  }
  throw new Error('expected a ValidationError');
}

describe('parseInput', () => {
  it('names the path of NUL characters, lone surrogates and __proto__ keys at any depth', () => {
    const input = JSON.parse(
      '{"a":{"b":["ok","x\\u0000y"]},"c":"\\ud800","d":{"__proto__":{"e":1}}}',
    ) as unknown;
    expect(issuesOf(() => parseInput(record, input, 'data'))).toEqual([
      { path: 'data.d', message: "must not have a '__proto__' key" },
      { path: 'data.c', message: 'must be well-formed Unicode (it has a lone surrogate)' },
      { path: 'data.a.b.1', message: 'must not contain the NUL character (U+0000)' },
    ]);
  });

  it('rejects nesting far deeper than any stack with a ValidationError, not a RangeError', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 200_000; i++) deep = { next: deep };
    const schema = z.strictObject({
      data: record.superRefine((value, ctx) => {
        const problem = jsonProblem(value, 1024 * 1024);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    });
    expect(issuesOf(() => parseInput(schema, { data: deep }))).toEqual([
      { path: 'data', message: 'must be JSON-serialisable' },
    ]);
  });

  it('accepts class instances with fields where an object belongs, and refuses built-in values there', () => {
    class CancelOptions {
      constructor(readonly reason: string) {}
    }
    expect(parseInput(options, new CancelOptions('moved'))).toEqual({ reason: 'moved' });
    for (const builtIn of [new Date(0), new Map([['reason', 'x']]), /x/, new Set()]) {
      expect(issuesOf(() => parseInput(options, builtIn, 'options'))).toEqual([
        { path: 'options', message: 'must be an object with fields, not a built-in value' },
      ]);
    }
  });

  it('refuses an object posing as a Date, where a real Date passes', () => {
    const when = z.strictObject({ at: z.unknown() });
    const fake = Object.create(Date.prototype) as Date;
    expect(issuesOf(() => parseInput(when, { at: fake }))).toEqual([
      { path: 'at', message: 'must be a real Date' },
    ]);
    expect(parseInput(when, { at: new Date(0) })).toEqual({ at: new Date(0) });
  });
});

describe('jsonProblem', () => {
  it('sees NUL and lone surrogates that only toJSON() or a class instance produces', () => {
    class Profile {
      constructor(readonly note: string) {}
    }
    expect(jsonProblem({ p: { toJSON: () => 'a\u0000b' } }, 1000)).toMatch(/NUL/);
    expect(jsonProblem({ p: new Profile('a\uDC00') }, 1000)).toMatch(/lone surrogate/);
    // The escape spelled out as text, with its backslash, is ordinary text.
    expect(jsonProblem({ note: 'literally \\u0000 and \\ud800' }, 1000)).toBeUndefined();
    expect(jsonProblem({ emoji: '😀' }, 1000)).toBeUndefined();
  });

  it('refuses BigInts, cycles and values over the size limit', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(jsonProblem({ n: 10n }, 1000)).toBe('must be JSON-serialisable');
    expect(jsonProblem(cyclic, 1000)).toBe('must be JSON-serialisable');
    expect(jsonProblem({ text: 'x'.repeat(2000) }, 1000)).toBe('must be at most 1000 bytes as JSON');
  });
});
