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
  // Class instances (DTOs, ORM rows) are objects with fields and pass.
  if (typeof input === 'object' && input !== null && isBuiltIn(input) && expectsObject(schema)) {
    return {
      success: false,
      issues: [{ path: prefix ?? '', message: 'must be an object with fields, not a built-in value' }],
    };
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
  // Iterative (a hostile, deeply nested value must not overflow the stack here), and each frame
  // links to its parent instead of copying its path, so the walk stays linear in the input
  // however deep it is nested; a path is only built for an issue.
  const stack: Frame[] = [{ value: input, key: undefined, parent: undefined }];
  const report = (frame: Frame, message: string) =>
    issues.push({ path: joinPath(prefix, pathOf(frame)), message });
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const { value } = frame;
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) report(frame, problem);
      continue;
    }
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    seen.add(value);
    const kind = unstorableObject(value);
    if (kind) {
      report(frame, kind);
      continue;
    }
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) {
        stack.push({ value: value[index], key: index, parent: frame });
      }
      continue;
    }
    if (isBuiltIn(value)) continue;
    // Plain objects and class instances alike: JSON writes their own enumerable fields.
    for (const [key, item] of Object.entries(value)) {
      if (key === '__proto__') report(frame, "must not have a '__proto__' key");
      else {
        const keyProblem = textProblem(key);
        if (keyProblem) report(frame, `has a key that ${keyProblem}`);
      }
      stack.push({ value: item, key, parent: frame });
    }
  }
  return issues;
}

interface Frame {
  value: unknown;
  key: string | number | undefined;
  parent: Frame | undefined;
}

function pathOf(frame: Frame): Array<string | number> {
  const path: Array<string | number> = [];
  for (let at: Frame | undefined = frame; at?.key !== undefined; at = at.parent) path.push(at.key);
  return path.reverse();
}

function unstorableObject(value: object): string | undefined {
  if (types.isMap(value) || types.isSet(value)) return 'must be plain JSON data, not a Map or a Set';
  if (value instanceof Date && !types.isDate(value)) return 'must be a real Date';
  return undefined;
}

/** Objects that are values in their own right, never a set of fields: a Date is an instant, not options. */
function isBuiltIn(value: object): boolean {
  return (
    types.isDate(value) ||
    types.isMap(value) ||
    types.isSet(value) ||
    types.isWeakMap(value) ||
    types.isWeakSet(value) ||
    types.isRegExp(value) ||
    types.isBoxedPrimitive(value) ||
    types.isPromise(value) ||
    types.isAnyArrayBuffer(value) ||
    types.isArrayBufferView(value) ||
    types.isNativeError(value)
  );
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
