import type { Scheduler } from '../scheduler/create-scheduler.js';
import { errorResponse } from './errors.js';
import { buildOpenApiDocument, type OpenApiDocument } from './openapi.js';
import { tickworkRoutes } from './routes/index.js';
import type { HttpMethod, HttpRequest, HttpResponse, RouteDefinition } from './types.js';

export interface HttpHandlerOptions {
  /** Largest accepted JSON body in bytes. Default 2 MiB (a bulk enrollment of ~10,000 recipients). */
  bodyLimit?: number;
  /** Where the OpenAPI document is served, relative to the mount point; `false` to not serve it. Default `/openapi.json`. */
  openapiPath?: string | false;
}

/** A route ready to serve: the adapters register `method path` and call `run`. */
export interface CompiledRoute {
  method: HttpMethod;
  path: string;
  run(request: HttpRequest): Promise<HttpResponse>;
}

export interface HttpHandlers {
  readonly routes: readonly CompiledRoute[];
  readonly bodyLimit: number;
  readonly openapi: OpenApiDocument;
  /** Maps an error that escaped a route (or an adapter's body parser) to an answer. */
  fail(error: unknown, context: string): HttpResponse;
}

const DEFAULT_BODY_LIMIT = 2 * 1024 * 1024;

/**
 * The framework-free layer both adapters serve: the engine call, with the request as it
 * came, and the mapping of every error to a JSON answer. The engines validate their own
 * input (the zod schemas the OpenAPI document is generated from) before writing anything.
 */
export function createHttpHandlers(scheduler: Scheduler, options: HttpHandlerOptions = {}): HttpHandlers {
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  if (!Number.isInteger(bodyLimit) || bodyLimit <= 0)
    throw new TypeError('bodyLimit: must be a positive integer');
  const openapiPath = options.openapiPath === undefined ? '/openapi.json' : options.openapiPath;

  const report = (context: string) => (error: unknown) => scheduler.events.emit('error', { error, context });
  const fail = (error: unknown, context: string) => errorResponse(error, report(context));
  const openapi = buildOpenApiDocument(tickworkRoutes);

  const routes: CompiledRoute[] = tickworkRoutes.map((route) => compile(route, scheduler, fail));
  if (openapiPath) {
    routes.push({ method: 'GET', path: openapiPath, run: async () => ({ status: 200, body: openapi }) });
  }
  return { routes, bodyLimit, openapi, fail };
}

function compile(
  route: RouteDefinition,
  scheduler: Scheduler,
  fail: (error: unknown, context: string) => HttpResponse,
): CompiledRoute {
  const context = `http ${route.method} ${route.path}`;
  return {
    method: route.method,
    path: route.path,
    async run(request) {
      try {
        // The engine validates (with the same schemas the OpenAPI document shows) and
        // throws a ValidationError naming each field; nothing is written before that.
        const result = await route.handle(
          { params: request.params, query: request.query ?? {}, body: request.body },
          scheduler,
        );
        return route.successStatus === 204 ? { status: 204 } : { status: route.successStatus, body: result };
      } catch (error) {
        return fail(error, context);
      }
    },
  };
}
