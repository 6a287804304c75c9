import type { RouteDefinition } from '../types.js';

/** Every route tickwork serves, relative to where the host mounts them (the mailer: `/api`). */
export const tickworkRoutes: readonly RouteDefinition[] = [];
