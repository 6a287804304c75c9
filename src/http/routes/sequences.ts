import { z } from 'zod';
import {
  enrollmentActionSchema,
  enrollRecipientSchema,
  enrollRecipientsSchema,
  listEnrollmentsSchema,
  listSequencesSchema,
  sequenceCreateSchema,
  sequenceUpdateSchema,
  stepInputSchema,
  stepUpdateSchema,
} from '../../engines/sequences/schemas.js';
import type { Scheduler } from '../../scheduler/create-scheduler.js';
import { parseInput } from '../../validation.js';
import { defineRoute, idParams } from './define.js';

const tag = 'sequences';
const enrollBodySchema = z.union([enrollRecipientSchema, enrollRecipientsSchema]);

/** `POST /sequences/:id/enroll` takes one recipient (`{ email, data? }`) or many (`{ recipients: [...] }`). */
async function enroll(scheduler: Scheduler, sequenceId: string, body: unknown) {
  if (typeof body === 'object' && body !== null && 'recipients' in body) {
    const { recipients } = parseInput(enrollRecipientsSchema, body);
    return scheduler.sequences.enrollRecipients(sequenceId, recipients);
  }
  const { email, data } = parseInput(enrollRecipientSchema, body ?? {});
  return scheduler.sequences.enrollRecipient(sequenceId, email, data ?? null);
}

export const sequenceRoutes = [
  defineRoute({
    method: 'GET',
    path: '/sequences',
    operationId: 'listSequences',
    summary: 'List sequences',
    tag,
    query: listSequencesSchema,
    successStatus: 200,
    handle: ({ query }, s) => s.sequences.list(query),
  }),
  defineRoute({
    method: 'POST',
    path: '/sequences',
    operationId: 'createSequence',
    summary: 'Create a sequence, optionally with its steps',
    tag,
    body: sequenceCreateSchema,
    successStatus: 201,
    handle: ({ body }, s) => s.sequences.create(body as never),
  }),
  defineRoute({
    method: 'GET',
    path: '/sequences/:id',
    operationId: 'getSequence',
    summary: 'Get a sequence with its steps and enrollment counts',
    tag,
    params: idParams('id'),
    successStatus: 200,
    handle: ({ params }, s) => s.sequences.get(params.id!),
  }),
  defineRoute({
    method: 'PUT',
    path: '/sequences/:id',
    operationId: 'updateSequence',
    summary: 'Update a sequence (disabling holds every enrollment)',
    tag,
    params: idParams('id'),
    body: sequenceUpdateSchema,
    successStatus: 200,
    handle: ({ params, body }, s) => s.sequences.update(params.id!, body as never),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/sequences/:id',
    operationId: 'deleteSequence',
    summary: 'Delete a sequence, its steps and enrollments; queued steps are cancelled',
    tag,
    params: idParams('id'),
    successStatus: 204,
    handle: ({ params }, s) => s.sequences.delete(params.id!),
  }),
  defineRoute({
    method: 'POST',
    path: '/sequences/:id/steps',
    operationId: 'addSequenceStep',
    summary: 'Add a step (at stepOrder, or last)',
    tag,
    params: idParams('id'),
    body: stepInputSchema,
    successStatus: 201,
    handle: ({ params, body }, s) => s.sequences.addStep(params.id!, body as never),
  }),
  defineRoute({
    method: 'PUT',
    path: '/sequences/:id/steps/:stepId',
    operationId: 'updateSequenceStep',
    summary: 'Update or move a step',
    tag,
    params: idParams('id', 'stepId'),
    body: stepUpdateSchema,
    successStatus: 200,
    handle: ({ params, body }, s) => s.sequences.updateStep(params.id!, params.stepId!, body as never),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/sequences/:id/steps/:stepId',
    operationId: 'deleteSequenceStep',
    summary: 'Delete a step; whoever waits on it goes on with the next',
    tag,
    params: idParams('id', 'stepId'),
    successStatus: 204,
    handle: ({ params }, s) => s.sequences.deleteStep(params.id!, params.stepId!),
  }),
  defineRoute({
    method: 'GET',
    path: '/sequences/:id/enrollments',
    operationId: 'listEnrollments',
    summary: 'List enrollments (filter by status or email)',
    tag,
    params: idParams('id'),
    query: listEnrollmentsSchema,
    successStatus: 200,
    handle: ({ params, query }, s) => s.sequences.listEnrollments(params.id!, query),
  }),
  defineRoute({
    method: 'POST',
    path: '/sequences/:id/enroll',
    operationId: 'enrollRecipients',
    summary: 'Enroll one recipient or many (idempotent per sequence and email)',
    tag,
    params: idParams('id'),
    body: enrollBodySchema,
    successStatus: 200,
    handle: ({ params, body }, s) => enroll(s, params.id!, body),
  }),
  defineRoute({
    method: 'PUT',
    path: '/sequences/:id/enrollments/:enrollmentId',
    operationId: 'updateEnrollment',
    summary: 'Pause, resume, cancel, complete or advance an enrollment',
    tag,
    params: idParams('id', 'enrollmentId'),
    body: enrollmentActionSchema,
    successStatus: 200,
    handle: ({ params, body }, s) =>
      s.sequences.updateEnrollment(params.id!, params.enrollmentId!, body as never),
  }),
];
