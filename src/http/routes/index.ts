import type { RouteDefinition } from '../types.js';
import { batchRoutes } from './batches.js';
import { recurringRoutes } from './recurring.js';
import { sequenceRoutes } from './sequences.js';

/** Every route tickwork serves, relative to where the host mounts them (the mailer: `/api`). */
export const tickworkRoutes: readonly RouteDefinition[] = [
  ...recurringRoutes,
  ...sequenceRoutes,
  ...batchRoutes,
];
