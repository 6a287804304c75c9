import type { FastifyError, FastifyPluginAsync, FastifyReply } from 'fastify';
import { requestFailure } from '../http/errors.js';
import { createHttpHandlers, type HttpHandlerOptions } from '../http/handler.js';
import type { HttpResponse } from '../http/types.js';
import type { Scheduler } from '../scheduler/create-scheduler.js';

export type { HttpHandlerOptions } from '../http/handler.js';

export interface FastifyPluginOptions extends HttpHandlerOptions {
  scheduler: Scheduler;
}

const PARSER_FAILURES: Record<string, Parameters<typeof requestFailure>[0]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed-json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed-json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload-too-large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'malformed-json',
};

/**
 * tickwork's routes as an encapsulated Fastify 5 plugin. Register it with your prefix and
 * behind your own auth hook:
 * `app.register(tickworkPlugin, { prefix: '/api', scheduler })`.
 * Its error handler applies to its own routes only.
 */
export const tickworkPlugin: FastifyPluginAsync<FastifyPluginOptions> = async (app, options) => {
  const { scheduler, ...handlerOptions } = options;
  const handlers = createHttpHandlers(scheduler, handlerOptions);
  // Bodies are JSON only (as on Express); scoped to this plugin, the host's parsers stay.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const failure = error.code ? PARSER_FAILURES[error.code] : undefined;
    if (failure) return send(reply, requestFailure(failure));
    if (error.statusCode === 400 && error instanceof SyntaxError)
      return send(reply, requestFailure('malformed-json'));
    return send(reply, handlers.fail(error, `http ${request.method} ${request.url}`));
  });

  for (const route of handlers.routes) {
    app.route({
      method: route.method,
      url: route.path,
      bodyLimit: handlers.bodyLimit,
      handler: async (request, reply) => {
        const answer = await route.run({
          method: route.method,
          params: { ...(request.params as Record<string, string>) },
          query: { ...(request.query as Record<string, unknown>) },
          body: request.body,
        });
        return send(reply, answer);
      },
    });
  }
};

export default tickworkPlugin;

function send(reply: FastifyReply, answer: HttpResponse): FastifyReply {
  reply.code(answer.status);
  return answer.body === undefined ? reply.send() : reply.send(answer.body);
}
