import type { z } from 'zod';
import type { Scheduler } from '../scheduler/create-scheduler.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** A request as every framework adapter hands it to the handler layer. */
export interface HttpRequest {
  method: HttpMethod;
  /** Path parameters, as strings straight from the URL. */
  params: Record<string, string>;
  /** Query string values; repeated keys arrive as arrays. */
  query: Record<string, unknown>;
  /** The parsed JSON body (undefined when there was none). */
  body: unknown;
}

export interface HttpResponse {
  status: number;
  /** Serialised as JSON; undefined means an empty body (204). */
  body?: unknown;
}

/** One route of the framework-free layer: what it accepts (for validation and OpenAPI) and what it does. */
export interface RouteDefinition {
  method: HttpMethod;
  /** Express/Fastify-style path relative to the mount point, e.g. `/recurring/:id`. */
  path: string;
  /** OpenAPI operation id and summary. */
  operationId: string;
  summary: string;
  tag: string;
  /** Schemas of the request parts, for the OpenAPI document (the engines validate). */
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Status of a successful answer. */
  successStatus: number;
  handle(input: RouteInput, scheduler: Scheduler): Promise<unknown>;
}

/** The request parts as they came: path strings, query values, the parsed JSON body. */
export interface RouteInput {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
}

/** The JSON error shape of every 4xx/5xx answer. */
export interface HttpErrorBody {
  error: {
    code: string;
    message: string;
    issues?: Array<{ path: string; message: string }>;
  };
}
