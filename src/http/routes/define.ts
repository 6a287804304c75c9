import { z } from 'zod';
import type { RouteDefinition } from '../types.js';

/** Path parameters are ids; the engines validate them (naming the parameter), this documents them. */
export function idParams(...names: string[]): z.ZodType {
  return z.strictObject(Object.fromEntries(names.map((name) => [name, z.string().regex(/^\d+$/)])));
}

/** One route. Kept as a function so route files read as a table. */
export function defineRoute(route: RouteDefinition): RouteDefinition {
  return route;
}
