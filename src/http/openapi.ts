import { z } from 'zod';
import type { RouteDefinition } from './types.js';

export type JsonSchema = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, JsonSchema> };
}

const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        issues: {
          type: 'array',
          items: {
            type: 'object',
            required: ['path', 'message'],
            properties: { path: { type: 'string' }, message: { type: 'string' } },
          },
        },
      },
    },
  },
};

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/**
 * OpenAPI 3.1 (whose schemas are JSON Schema 2020-12) generated from the same zod schemas
 * that validate the requests, so the document cannot drift from what the routes accept.
 */
export function buildOpenApiDocument(routes: readonly RouteDefinition[]): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z_]+)/g, '{$1}');
    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      responses: {
        [String(route.successStatus)]:
          route.successStatus === 204
            ? { description: 'done' }
            : { description: 'success', content: { 'application/json': { schema: { type: 'object' } } } },
        '400': errorResponse('invalid input; `issues` names each field'),
        ...(route.params ? { '404': errorResponse('no such resource') } : {}),
        ...(route.method !== 'GET' ? { '409': errorResponse('conflict with the current state') } : {}),
        ...(route.body ? { '413': errorResponse('body too large') } : {}),
        '500': errorResponse('unexpected error (details go to the scheduler error event)'),
      },
    };
    if (route.body) {
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: toJsonSchema(route.body) } },
      };
    }
    (paths[path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'tickwork',
      version: '0.1.0',
      description: 'Recurring campaigns, drip sequences and timezone batches for a mail server.',
    },
    paths,
    components: { schemas: { Error: ERROR_SCHEMA } },
  };
}

function toJsonSchema(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema;
  delete json.$schema;
  return json;
}

function parameters(schema: z.ZodType | undefined, location: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const json = toJsonSchema(schema);
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' ? true : required.has(name),
    schema: property,
  }));
}
