import { ValidationError } from '../../errors.js';
import type { EngineContext, TickPhase } from '../../scheduler/engine.js';
import { createRecurringApi, type RecurringApi } from './api.js';
import { parseRecurringOptions, type RecurringEngineOptions } from './options.js';
import { createRecurringProcessor } from './phase.js';
import { BUILT_IN_SOURCES, type RecipientSources } from './recipients.js';
import { RecurringRepository } from './repository.js';

export type { RecurringApi } from './api.js';
export type { RecurringEngineOptions } from './options.js';
export type { RecipientSources } from './recipients.js';

export interface RecurringEngine {
  api: RecurringApi;
  phase: TickPhase;
}

export function createRecurringEngine(
  context: EngineContext,
  options: RecurringEngineOptions | undefined,
  recipientSources: RecipientSources | undefined,
): RecurringEngine {
  const parsed = parseRecurringOptions(options);
  const sources = checkSources(recipientSources);
  const repository = new RecurringRepository(context.adapter);
  const process = createRecurringProcessor({ context, options: parsed, sources, repository });
  return {
    api: createRecurringApi({ context, options: parsed, sources, repository, process }),
    phase: { name: 'recurring', run: process },
  };
}

function checkSources(sources: RecipientSources | undefined): RecipientSources {
  if (sources === undefined) return {};
  if (typeof sources !== 'object' || sources === null || Array.isArray(sources)) {
    throw ValidationError.field('recipientSources', 'must be an object of source names to functions');
  }
  const copy: RecipientSources = {};
  for (const [name, fn] of Object.entries(sources)) {
    if ((BUILT_IN_SOURCES as readonly string[]).includes(name)) {
      throw ValidationError.field(
        `recipientSources.${name}`,
        `'${name}' is a built-in source and cannot be replaced`,
      );
    }
    if (typeof fn !== 'function') {
      throw ValidationError.field(
        `recipientSources.${name}`,
        'must be a function (data, context) => recipients',
      );
    }
    copy[name] = fn;
  }
  return copy;
}
