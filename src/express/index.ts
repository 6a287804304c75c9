import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { requestFailure } from '../http/errors.js';
import { createHttpHandlers, type HttpHandlerOptions } from '../http/handler.js';
import type { HttpMethod, HttpResponse } from '../http/types.js';
import type { Scheduler } from '../scheduler/create-scheduler.js';

export type { HttpHandlerOptions } from '../http/handler.js';

export type ExpressRouterOptions = HttpHandlerOptions;

/**
 * tickwork's routes as an Express Router (Express 5, and 4). Mount it behind your own
 * auth: `app.use('/api', requireAuth, tickworkRouter(scheduler))`. Requests that match
 * no tickwork route fall through to the rest of your app.
 */
export function tickworkRouter(scheduler: Scheduler, options: ExpressRouterOptions = {}): Router {
  const handlers = createHttpHandlers(scheduler, options);
  const router = express.Router();
  const parseJson = express.json({ limit: handlers.bodyLimit });

  for (const route of handlers.routes) {
    const register = router[route.method.toLowerCase() as Lowercase<HttpMethod>].bind(router);
    register(route.path, parseJson, (req: Request, res: Response) => {
      if (carriesBody(req) && !req.is('application/json'))
        return send(res, requestFailure('unsupported-media-type'));
      // Express 4 does not catch rejected handlers; run() never rejects, but be safe on both.
      route
        .run({
          method: route.method,
          params: { ...req.params } as Record<string, string>,
          query: { ...(req.query as Record<string, unknown>) },
          body: req.body,
        })
        .then(
          (answer) => send(res, answer),
          (error: unknown) => send(res, handlers.fail(error, `http ${route.method} ${route.path}`)),
        );
    });
  }

  // Body-parser failures arrive here, before any route handler ran.
  router.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const type = (error as { type?: unknown } | null)?.type;
    if (type === 'entity.parse.failed') return send(res, requestFailure('malformed-json'));
    if (type === 'entity.too.large') return send(res, requestFailure('payload-too-large'));
    if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
      return send(res, requestFailure('unsupported-media-type'));
    }
    return send(res, handlers.fail(error, `http ${req.method} ${req.path}`));
  });

  return router;
}

function carriesBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function send(res: Response, answer: HttpResponse): void {
  if (answer.body === undefined) res.status(answer.status).end();
  else res.status(answer.status).json(answer.body);
}
