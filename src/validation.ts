import type { z } from 'zod';
import { ValidationError, type ValidationIssue } from './errors.js';

/** Turns zod's issues into a ValidationError whose paths name the fields (`prefix.field.0`). */
export function zodToValidationError(error: z.ZodError, prefix?: string): ValidationError {
  const issues: ValidationIssue[] = error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter((p) => p !== undefined && p !== '').join('.');
    return { path, message: issue.message };
  });
  return new ValidationError(issues);
}

/** Parses `input` with `schema` or throws a ValidationError naming each bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix?: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw zodToValidationError(parsed.error, prefix);
  return parsed.data;
}
