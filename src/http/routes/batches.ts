import { createBatchesInputSchema, listBatchesSchema } from '../../engines/batches/schemas.js';
import { defineRoute, idParams } from './define.js';

const tag = 'batches';

export const batchRoutes = [
  defineRoute({
    method: 'GET',
    path: '/batches',
    operationId: 'listBatches',
    summary: 'List timezone batches (filter by campaignId, status)',
    tag,
    query: listBatchesSchema,
    successStatus: 200,
    handle: ({ query }, s) => s.batches.list(query),
  }),
  defineRoute({
    method: 'POST',
    path: '/batches',
    operationId: 'createTimezoneBatches',
    summary: "Deliver a campaign at a local time in each recipient's own timezone",
    tag,
    body: createBatchesInputSchema,
    successStatus: 201,
    handle: ({ body }, s) => s.batches.create(body as never),
  }),
  defineRoute({
    method: 'GET',
    path: '/batches/:id',
    operationId: 'getBatch',
    summary: 'Get a batch with its delivery counts',
    tag,
    params: idParams('id'),
    successStatus: 200,
    handle: ({ params }, s) => s.batches.get(params.id!),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/batches/:id',
    operationId: 'cancelBatch',
    summary: 'Cancel a batch: nothing more of it is enqueued, its unsent deliveries are cancelled',
    tag,
    params: idParams('id'),
    successStatus: 200,
    handle: ({ params }, s) => s.batches.cancel(params.id!),
  }),
];
