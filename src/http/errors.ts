import { isTickworkError, type TickworkError, type ValidationIssue } from '../errors.js';
import type { HttpErrorBody, HttpResponse } from './types.js';

/** Request-level failures detected by an adapter before a handler runs. */
export type RequestFailure =
  'malformed-json' | 'payload-too-large' | 'unsupported-media-type' | 'not-found-route';

const FAILURES: Record<RequestFailure, { status: number; code: string; message: string }> = {
  'malformed-json': { status: 400, code: 'MALFORMED_JSON', message: 'the request body is not valid JSON' },
  'payload-too-large': { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'the request body is too large' },
  'unsupported-media-type': {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'the request body must be application/json',
  },
  'not-found-route': { status: 404, code: 'NOT_FOUND', message: 'no such route' },
};

export function requestFailure(kind: RequestFailure): HttpResponse {
  const { status, code, message } = FAILURES[kind];
  return { status, body: errorBody(code, message) };
}

/**
 * Maps an error to an answer. Errors are recognised by `name`/`code` (not only
 * `instanceof`), so a tickwork error from another copy of the package still maps right.
 * Anything unexpected is a 500 with a generic message; `report` receives the details.
 */
export function errorResponse(error: unknown, report: (error: unknown) => void): HttpResponse {
  if (isTickworkError(error)) {
    const known = mapTickworkError(error);
    if (known) return known;
  }
  report(error);
  return { status: 500, body: errorBody('INTERNAL', 'internal error') };
}

function mapTickworkError(error: TickworkError): HttpResponse | undefined {
  switch (error.code) {
    case 'VALIDATION': {
      const issues = (error as TickworkError & { issues?: ValidationIssue[] }).issues ?? [];
      return { status: 400, body: errorBody('VALIDATION', error.message, issues) };
    }
    case 'INVALID_CRON':
    case 'INVALID_TIMEZONE':
    case 'INVALID_LOCAL_TIME':
      return {
        status: 400,
        body: errorBody('VALIDATION', error.message, [{ path: '', message: error.message }]),
      };
    case 'NOT_FOUND':
      return { status: 404, body: errorBody('NOT_FOUND', error.message) };
    case 'CONFLICT':
      return { status: 409, body: errorBody('CONFLICT', error.message) };
    default:
      return undefined;
  }
}

export function errorBody(code: string, message: string, issues?: ValidationIssue[]): HttpErrorBody {
  return { error: { code, message, ...(issues ? { issues } : {}) } };
}
