import { types } from 'node:util';
import type { z } from 'zod';
import { ValidationError, type ValidationIssue } from './errors.js';
import { instantMs } from './time/validate.js';

/** Turns zod's issues into a ValidationError whose paths name the fields (`prefix.field.0`). */
export function zodToValidationError(error: z.ZodError, prefix?: string): ValidationError {
  const issues: ValidationIssue[] = error.issues.map((issue) => ({
    path: joinPath(prefix, issue.path),
    message: issue.message,
  }));
  return new ValidationError(issues);
}

/**
 * Parses `input` with `schema` or throws a ValidationError naming each bad field. Text that
 * no store keeps as given is refused here for every method at once: Postgres rejects U+0000
 * in text and JSON, and a lone surrogate cannot be encoded as UTF-8, so the driver would
 * quietly store U+FFFD instead of what the host sent.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix?: string): z.output<S> {
  const result = inspectInput(schema, input, prefix);
  if (!result.success) throw new ValidationError(result.issues);
  return result.data;
}

/** `parseInput` for callers that collect problems instead of throwing (bulk calls report them per item). */
export function inspectInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  prefix?: string,
): { success: true; data: z.output<S> } | { success: false; issues: ValidationIssue[] } {
  // zod's object schemas take any object: a Date or a Map where options belong would read as {}.
  if (typeof input === 'object' && input !== null && !isPlainObject(input) && expectsObject(schema)) {
    return { success: false, issues: [{ path: prefix ?? '', message: 'must be a plain object' }] };
  }
  const textIssues = unstorableText(input, prefix);
  const parsed = schema.safeParse(input);
  if (parsed.success && textIssues.length === 0) return { success: true, data: parsed.data };
  const issues = parsed.success ? [] : zodToValidationError(parsed.error, prefix).issues;
  const blamed = new Set(issues.map((issue) => issue.path));
  return { success: false, issues: [...issues, ...textIssues.filter((issue) => !blamed.has(issue.path))] };
}

/**
 * The `now` of `tick` and the `process*` methods, copied: a valid Date inside the range every
 * stored instant lies in (1900 to 9999), since an instant outside it cannot be compared with
 * the stored ISO strings.
 */
export function parseNow(now: unknown): Date {
  return new Date(instantMs(now, 'now'));
}

/**
 * What would not be stored as given, at any depth: strings (values and keys) with U+0000 or a
 * lone surrogate, a `__proto__` key (zod drops it from records, so the data would change
 * silently), a Map or Set (JSON turns them into {}), an object posing as a Date. Cycles are
 * visited once.
 */
export function unstorableText(input: unknown, prefix?: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const seen = new Set<object>();
  // Iterative: a hostile, deeply nested value must not overflow the stack here.
  const stack: Array<{ value: unknown; path: PropertyKey[] }> = [{ value: input, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) issues.push({ path: joinPath(prefix, path), message: problem });
      continue;
    }
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    seen.add(value);
    const kind = unstorableObject(value);
    if (kind) {
      issues.push({ path: joinPath(prefix, path), message: kind });
      continue;
    }
    if (Array.isArray(value)) {
      value.forEach((item, index) => stack.push({ value: item, path: [...path, index] }));
      continue;
    }
    if (!isPlainObject(value)) continue;
    for (const [key, item] of Object.entries(value)) {
      const keyProblem = key === '__proto__' ? "must not have a '__proto__' key" : textProblem(key);
      if (keyProblem) {
        const message = keyProblem.startsWith('must not have') ? keyProblem : `has a key that ${keyProblem}`;
        issues.push({ path: joinPath(prefix, path), message });
      }
      stack.push({ value: item, path: [...path, key] });
    }
  }
  return issues;
}

function unstorableObject(value: object): string | undefined {
  if (types.isMap(value) || types.isSet(value)) return 'must be plain JSON data, not a Map or a Set';
  if (value instanceof Date && !types.isDate(value)) return 'must be a real Date';
  return undefined;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Whether the schema, under its optional/default/pipe wrappers, wants an object or a record. */
function expectsObject(schema: z.ZodType): boolean {
  let def = schema.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
  for (;;) {
    if (
      def.innerType &&
      ['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch'].includes(def.type)
    ) {
      def = def.innerType.def as typeof def;
    } else if (def.type === 'pipe' && def.in) {
      def = def.in.def as typeof def;
    } else {
      return def.type === 'object' || def.type === 'record';
    }
  }
}

function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain the NUL character (U+0000)';
  if (!text.isWellFormed()) return 'must be well-formed Unicode (it has a lone surrogate)';
  return undefined;
}

function joinPath(prefix: string | undefined, path: readonly PropertyKey[]): string {
  return [prefix, ...path.map(String)].filter((p) => p !== undefined && p !== '').join('.');
}
