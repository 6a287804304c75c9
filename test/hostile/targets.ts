import { START } from '../support/harness.js';
import {
  ANY_FIELD,
  answers,
  badCrons,
  badData,
  badIds,
  badEmails,
  badInstants,
  badText,
  badTimezones,
  CaseBuilder,
  gen,
  invalid,
  MAX_ID,
  MISSING_IDS,
  nonPlainObjects,
  notFound,
  NUL,
  RecipientSourceError,
  stepFields,
  SURROGATE,
  TEN_YEARS_MS,
  valid,
  type Call,
  type Field,
  type SeedIds,
  type Target,
} from './cases.js';
import { cyclic, protoKey, render } from './support.js';

/*
 * Every public method of the scheduler that takes input, with its hostile cases. Valid
 * bases are the smallest call that would write (or read) something, so a corruption that
 * slipped through shows up as an accepted call and, for writes, as changed rows.
 */

const T0 = new Date(START);
const emails = (n: number) => Array.from({ length: n }, (_, k) => `copy${k}@example.org`);

export function buildTargets(ids: SeedIds, seed: number, randomRuns: number): Target[] {
  const targets: Target[] = [];
  let offset = 0;
  const method = (name: string, build: (b: CaseBuilder) => void) => {
    // Each method draws its generated cases from its own seed, derived from the run's seed.
    const builder = new CaseBuilder(name, seed + 7919 * ++offset, randomRuns);
    build(builder);
    targets.push({ method: name, cases: builder.cases });
  };
  const seq = ids.sequenceId;
  const [step0, step1] = ids.stepIds as [number, number];
  const [enrollment0] = ids.enrollmentIds as [number];

  // --- deliveries ------------------------------------------------------------------------
  const keyBad = [undefined, ...badText({ max: 500 })];
  const keyPaths = ['idempotencyKey', 'key'];

  method('deliveries.enqueue', (b) => {
    b.object({
      name: 'input',
      base: (i) => ({
        idempotencyKey: `fuzz-${i}`,
        to: 'fuzz@example.org',
        cc: ['cc@example.org'],
        bcc: [],
        subject: 'Fuzz',
        templateId: 5,
        recipient: { name: 'Fuzz' },
        dueAt: new Date('2026-03-05T00:00:00Z'),
      }),
      fields: {
        idempotencyKey: { bad: badText({ max: 500 }), random: gen.text(500), required: true },
        to: { bad: badEmails(), random: gen.email, required: true },
        cc: {
          bad: [
            'a@example.org',
            ['nope'],
            [5],
            null,
            {},
            emails(101),
            ['a@example.org\u0000'],
            [['a@example.org']],
          ],
        },
        bcc: { bad: ['a@example.org', ['@example.org'], null, emails(101)] },
        subject: { bad: badText({ max: 998 }), random: gen.text(998), required: true },
        templateId: {
          // 0 is allowed here (the engines start at 1).
          bad: [-1, 1.5, 2 ** 31, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, '7', true, {}, 10n],
          random: gen.int(0, MAX_ID),
        },
        recipient: { bad: badData(), random: gen.data },
        dueAt: { bad: [null, ...badInstants()], random: gen.instant },
      },
      invoke: (value) => (s) => s.deliveries.enqueue(value as never),
    });
    for (let k = 0; k < 3; k++) {
      const i = b.index();
      b.add(
        valid(
          'valid enqueue',
          (s) =>
            s.deliveries.enqueue({ idempotencyKey: `fuzz-valid-${i}`, to: 'ok@example.org', subject: 'Ok' }),
          true,
        ),
      );
    }
  });

  method('deliveries.get', (b) => {
    b.positional(
      'idempotencyKey',
      keyBad,
      gen.text(500),
      (v) => (s) => s.deliveries.get(v as never),
      keyPaths,
    );
    b.add(
      answers(
        'unknown key',
        (s) => s.deliveries.get('no-such-key'),
        (v) => v === undefined,
        'undefined',
      ),
    );
    b.add(valid('get a sent key', (s) => s.deliveries.get(ids.sentKey)));
  });

  method('deliveries.cancel', (b) => {
    b.positional(
      'idempotencyKey',
      keyBad,
      gen.text(500),
      (v) => (s) => s.deliveries.cancel(v as never),
      keyPaths,
    );
    // With the key of a pending row: accepting the reason would cancel it.
    b.positional(
      'reason',
      badText({}),
      gen.text(),
      (v) => (s) => s.deliveries.cancel(ids.pendingKey, v as never),
    );
    b.add(
      answers(
        'unknown key',
        (s) => s.deliveries.cancel('no-such-key'),
        (v) => v === false,
        'false',
      ),
    );
    b.add(
      answers(
        'already sent',
        (s) => s.deliveries.cancel(ids.sentKey),
        (v) => v === false,
        'false',
      ),
    );
  });

  const sourceType: Field = { bad: [5, '', null, {}, [], 10n, NUL, SURROGATE], random: gen.text() };
  method('deliveries.counts', (b) => {
    b.object({
      name: 'filter',
      optional: true,
      base: () => ({ sourceType: 'direct' }),
      fields: { sourceType },
      invoke: (value) => (s) => s.deliveries.counts(value as never),
    });
    for (const extra of [
      { sourceIds: [] },
      { sourceIds: [1, 'x'] },
      { sourceIds: 'x' },
      { status: 'sent' },
    ]) {
      b.add(
        invalid(`filter + ${render(extra)}`, Object.keys(extra), (s) => s.deliveries.counts(extra as never)),
      );
    }
    b.add(valid('counts()', (s) => s.deliveries.counts()));
    b.add(valid('counts direct', (s) => s.deliveries.counts({ sourceType: 'direct' })));
  });

  method('deliveries.list', (b) => {
    b.object({
      name: 'filter',
      optional: true,
      base: () => ({ status: 'pending', sourceType: 'direct', limit: 10 }),
      fields: {
        status: { bad: ['exploded', 5, '', null, 'PENDING', ['pending']] },
        sourceType,
        sourceId: {
          bad: [1.5, -1, 0, 2 ** 31, 2 ** 53 - 1, 'x', '5', null, Number.NaN, 10n],
          random: gen.int(1, MAX_ID),
        },
        afterId: {
          bad: [-1, 1.5, 'x', '5', 2 ** 31, 2 ** 53 - 1, null, Number.NaN],
          random: gen.int(0, MAX_ID),
        },
        limit: {
          bad: [0, 1001, 1.5, -1, '10', Number.NaN, null, Number.POSITIVE_INFINITY],
          random: gen.int(1, 1000),
        },
      },
      invoke: (value) => (s) => s.deliveries.list(value as never),
    });
    b.add(valid('list()', (s) => s.deliveries.list()));
    b.add(valid('list sent', (s) => s.deliveries.list({ status: 'sent', limit: 2 })));
  });

  // --- tick and the phases ---------------------------------------------------------------
  method('tick', (b) => {
    b.now((v) => (s) => s.tick(v as never));
    b.add(valid('tick(START)', (s) => s.tick(new Date(T0)), true));
  });
  method('recurring.processRecurringCampaigns', (b) => {
    b.now((v) => (s) => s.recurring.processRecurringCampaigns(v as never));
    b.add(valid('at START', (s) => s.recurring.processRecurringCampaigns(new Date(T0)), true));
  });
  method('sequences.processSequenceSteps', (b) => {
    b.now((v) => (s) => s.sequences.processSequenceSteps(v as never));
    b.add(valid('at START', (s) => s.sequences.processSequenceSteps(new Date(T0)), true));
  });
  method('batches.processScheduledBatches', (b) => {
    b.now((v) => (s) => s.batches.processScheduledBatches(v as never));
    b.add(valid('at START', (s) => s.batches.processScheduledBatches(new Date(T0)), true));
  });

  // --- recurring -------------------------------------------------------------------------
  const staticData = () => ['a@example.org', { email: 'b@example.org', name: 'B' }];
  const campaignFields = (update: boolean): Record<string, Field> => ({
    name: { bad: badText({ max: 200, trimmed: true }), random: gen.text(200, true), required: !update },
    templateId: { bad: [0, -1, 1.5, 2 ** 31, Number.NaN, '3', true, {}, 10n], random: gen.int(1, MAX_ID) },
    subject: { bad: badText({ max: 998, trimmed: true }), random: gen.text(998, true), required: !update },
    recipientSource: {
      bad: [5, '', null, 'no-such-source', 'x'.repeat(101), '__proto__', 'constructor', 'toString', {}, NUL],
      required: !update,
    },
    recipientData: {
      bad: [
        'x',
        5,
        {},
        null,
        ['nope'],
        [5],
        [{ name: 'no email' }],
        [{ email: 'a@example.org', n: 10n }],
        (() => {
          const loop: unknown[] = [];
          loop.push(loop);
          return loop;
        })(),
        [{ email: 'a@example.org', self: cyclic() }],
        [{ email: 'a@example.org', name: NUL }],
        [{ email: 'a@example.org', name: SURROGATE }],
        [{ email: 'a@example.org', pad: 'x'.repeat(1_100_000) }],
      ],
      random: gen.data.map((d) => [{ email: 'a@example.org', ...d }]),
      required: !update,
    },
    scheduleCron: { bad: badCrons(), random: gen.cron, required: !update },
    timezone: { bad: badTimezones(), random: gen.timezone },
    cc: { bad: ['a@example.org', ['nope'], [5], null, emails(51), {}] },
    bcc: { bad: [['a@'], 'x', null] },
    enabled: { bad: ['yes', 'true', 1, 0, null, {}] },
    startAt: { bad: badInstants(), random: gen.instant },
    endAt: { bad: [...badInstants(), '2020-01-01T00:00:00Z'], random: gen.instant },
    maxRuns: { bad: [0, -1, 1.5, 2 ** 31, 'x', '5', true, Number.NaN], random: gen.int(1, MAX_ID) },
    missedRunPolicy: { bad: ['flood', '', 5, null, 'LATEST'] },
    maxLatenessMs: {
      bad: [-1, 1.5, 'soon', TEN_YEARS_MS + 1, Number.NaN, true],
      random: gen.int(0, TEN_YEARS_MS),
    },
  });
  const campaignBase = () => ({
    name: 'Fuzz campaign',
    subject: 'Fuzz',
    templateId: 3,
    recipientSource: 'static',
    recipientData: staticData(),
    scheduleCron: '0 9 * * 1',
    timezone: 'Europe/Berlin',
    cc: [],
    bcc: [],
    enabled: true,
    startAt: null,
    endAt: null,
    maxRuns: null,
    missedRunPolicy: 'latest' as const,
    maxLatenessMs: null,
  });

  method('recurring.create', (b) => {
    b.object({
      name: 'input',
      base: campaignBase,
      fields: campaignFields(false),
      invoke: (value) => (s) => s.recurring.create(value as never),
    });
    b.add(valid('valid create', (s) => s.recurring.create(campaignBase()), true));
  });

  method('recurring.get', (b) => {
    b.id('id', (v) => (s) => s.recurring.get(v as never));
    b.add(valid('get seeded', (s) => s.recurring.get(ids.campaignId)));
    b.add(valid('get as digit string', (s) => s.recurring.get(String(ids.campaignId))));
  });

  const pageFields = (maxLimit: number): Record<string, Field> => ({
    limit: {
      bad: [0, maxLimit + 1, -1, 1.5, 'abc', '1.5', Number.NaN, null, {}, Number.POSITIVE_INFINITY],
      random: gen.int(1, maxLimit),
    },
    offset: {
      bad: [-1, 1.5, 'x', Number.NaN, 2 ** 53, {}, Number.POSITIVE_INFINITY],
      random: gen.int(0, Number.MAX_SAFE_INTEGER),
    },
  });

  method('recurring.list', (b) => {
    b.object({
      name: 'query',
      optional: true,
      base: () => ({ limit: 10, offset: 0, enabled: true }),
      fields: { ...pageFields(500), enabled: { bad: ['maybe', 1, null, 'TRUE', {}] } },
      invoke: (value) => (s) => s.recurring.list(value as never),
    });
    b.add(valid('list()', (s) => s.recurring.list()));
    b.add(valid('list enabled=true', (s) => s.recurring.list({ enabled: 'true', limit: '5' })));
  });

  method('recurring.update', (b) => {
    b.id('id', (v) => (s) => s.recurring.update(v as never, { subject: 'Changed' }));
    b.object({
      name: 'patch',
      base: () => ({ subject: 'Changed' }),
      fields: campaignFields(true),
      invoke: (value) => (s) => s.recurring.update(ids.campaignId, value as never),
    });
    b.add(
      valid(
        'valid update',
        (s) => s.recurring.update(ids.campaignId, { subject: 'Changed by control' }),
        true,
      ),
    );
  });

  method('recurring.delete', (b) => b.id('id', (v) => (s) => s.recurring.delete(v as never)));
  method('recurring.enable', (b) => {
    b.id('id', (v) => (s) => s.recurring.enable(v as never));
  });
  method('recurring.disable', (b) => {
    b.id('id', (v) => (s) => s.recurring.disable(v as never));
    b.object({
      name: 'options',
      prefix: 'options',
      optional: true,
      base: () => ({ cancelPending: true }),
      fields: { cancelPending: { bad: ['yes', 1, null, {}] } },
      invoke: (value) => (s) => s.recurring.disable(ids.campaignId, value as never),
    });
  });
  method('recurring.runNow', (b) => b.id('id', (v) => (s) => s.recurring.runNow(v as never)));

  method('recurring.previewRuns', (b) => {
    // An object is a schedule spec, not an id; those are corrupted below.
    b.id(
      'id',
      (v) => (s) => s.recurring.previewRuns(v as never, 3),
      'not-found',
      (v) => typeof v === 'object' && v !== null,
    );
    b.object({
      name: 'spec',
      base: () => ({ cron: '0 9 * * *', timezone: 'Asia/Tokyo', from: '2026-01-01T00:00:00Z' }),
      fields: {
        cron: { bad: badCrons(), random: gen.cron, required: true },
        timezone: { bad: badTimezones(), random: gen.timezone },
        from: { bad: [null, ...badInstants()], random: gen.instant },
      },
      invoke: (value) => (s) => s.recurring.previewRuns(value as never, 3),
      // Anything but an object is taken as an id (cases above).
      wholeCases: false,
    });
    for (const spec of [[], [{}], cyclic()]) {
      b.add(invalid(`spec=${render(spec)}`, ANY_FIELD, (s) => s.recurring.previewRuns(spec as never, 3)));
    }
    for (const spec of nonPlainObjects()) {
      b.add({
        ...invalid(`spec=${render(spec)}`, ANY_FIELD, (s) => s.recurring.previewRuns(spec as never, 3)),
        group: 'non-plain-object',
      });
    }
    b.positional(
      'count',
      [0, -1, 1.5, 1001, 'x', '1.5', Number.NaN, null, true, {}, 2 ** 53],
      gen.int(1, 1000),
      (v) => (s) => s.recurring.previewRuns(ids.campaignId, v as never),
    );
    b.add(valid('preview seeded', (s) => s.recurring.previewRuns(ids.campaignId, 3)));
    b.add(valid('preview spec', (s) => s.recurring.previewRuns({ cron: '0 9 * * *' }, '2')));
  });

  method('recurring.listRuns', (b) => {
    b.id('id', (v) => (s) => s.recurring.listRuns(v as never));
    b.object({
      name: 'query',
      optional: true,
      base: () => ({ limit: 5, offset: 0, status: 'completed' }),
      fields: { ...pageFields(500), status: { bad: ['exploded', 5, null, 'COMPLETED'] } },
      invoke: (value) => (s) => s.recurring.listRuns(ids.campaignId, value as never),
    });
    b.add(valid('runs of seeded', (s) => s.recurring.listRuns(ids.campaignId)));
  });

  method('recurring.getRun', (b) => {
    b.id('runId', (v) => (s) => s.recurring.getRun(v as never));
    b.add(valid('get seeded run', (s) => s.recurring.getRun(ids.runId)));
  });

  method('recurring.fetchRecipients', (b) => {
    b.positional(
      'source',
      [5, '', null, undefined, {}, [], 10n, true],
      undefined,
      (v) => (s) => s.recurring.fetchRecipients(v as never, []),
    );
    // Documented: a source that cannot answer is a RecipientSourceError.
    const sourceError = [{ error: RecipientSourceError }];
    for (const source of ['no-such-source', '__proto__', 'constructor', 'toString', 'hasOwnProperty', NUL]) {
      b.add(
        invalid(
          `source=${render(source)}`,
          ['source'],
          (s) => s.recurring.fetchRecipients(source, []),
          sourceError,
        ),
      );
    }
    for (const data of ['x', 5, {}, null, 10n]) {
      b.add(
        invalid(
          `static data=${render(data)}`,
          ['data', 'recipientData'],
          (s) => s.recurring.fetchRecipients('static', data),
          sourceError,
        ),
      );
    }
    b.add(
      invalid(
        'url source (no origin allowed)',
        ['data', 'recipientData'],
        (s) => s.recurring.fetchRecipients('url', 'http://127.0.0.1:1/list'),
        sourceError,
      ),
    );
    b.add(valid('static', (s) => s.recurring.fetchRecipients('static', ['a@example.org'])));
    b.add(valid('host source', (s) => s.recurring.fetchRecipients('crm', {})));
  });

  // --- sequences -------------------------------------------------------------------------
  const sequenceFields = (update: boolean): Record<string, Field> => ({
    name: { bad: badText({ max: 200, trimmed: true }), random: gen.text(200, true), required: !update },
    description: { bad: badText({ max: 5000, nullable: true, emptyOk: true }), random: gen.text(5000) },
    enabled: { bad: ['yes', 1, null, {}, 'true'] },
    timezone: { bad: badTimezones(), random: gen.timezone },
    onStepFailure: { bad: ['explode', '', 5, null, 'STOP'] },
  });

  method('sequences.create', (b) => {
    b.object({
      name: 'input',
      base: () => ({
        name: 'Fuzz sequence',
        description: null,
        enabled: true,
        timezone: 'UTC',
        onStepFailure: 'stop',
        steps: [{ subject: 'One' }],
      }),
      fields: {
        ...sequenceFields(false),
        steps: {
          bad: [
            'x',
            5,
            null,
            {},
            [5],
            [{}],
            [[]],
            [{ subject: '' }],
            [{ subject: 'a', delayDays: -1 }],
            [{ subject: 'a', stepOrder: 7 }],
            [{ subject: 'a', sendTime: '25:00' }],
            [{ subject: 'a', templateId: 2 ** 31 }],
            [{ subject: 'a', delayHours: 1.5 }],
            [{ subject: 'a', extra: 1 }],
            [{ subject: NUL }],
            [{ subject: SURROGATE }],
            [Object.assign(protoKey(), { subject: 'a' })],
            Array.from({ length: 101 }, () => ({ subject: 'a' })),
          ],
        },
      },
      invoke: (value) => (s) => s.sequences.create(value as never),
    });
    b.add(
      valid('valid create', (s) => s.sequences.create({ name: 'Control', steps: [{ subject: 'Hi' }] }), true),
    );
  });

  method('sequences.get', (b) => {
    b.id('id', (v) => (s) => s.sequences.get(v as never));
    b.add(valid('get seeded', (s) => s.sequences.get(seq)));
  });
  method('sequences.list', (b) => {
    b.object({
      name: 'query',
      optional: true,
      base: () => ({ limit: 10, offset: 0, enabled: true }),
      fields: {
        // The sequences list coerces numbers (query strings), so only values no coercion saves are bad.
        limit: { bad: [0, 501, -1, 1.5, 'abc', '1.5', Number.NaN, null, {}, Number.POSITIVE_INFINITY] },
        offset: { bad: [-1, 1.5, 'x', Number.NaN, 2 ** 53, {}, Number.POSITIVE_INFINITY] },
        enabled: { bad: ['maybe', 1, null, 'TRUE', {}] },
      },
      invoke: (value) => (s) => s.sequences.list(value as never),
    });
    b.add(valid('list()', (s) => s.sequences.list()));
  });
  method('sequences.update', (b) => {
    b.id('id', (v) => (s) => s.sequences.update(v as never, { name: 'Renamed' }));
    b.object({
      name: 'patch',
      base: () => ({ name: 'Renamed' }),
      fields: sequenceFields(true),
      invoke: (value) => (s) => s.sequences.update(seq, value as never),
    });
    b.add(invalid('patch + steps', ['steps'], (s) => s.sequences.update(seq, { steps: [] } as never)));
    b.add(valid('valid update', (s) => s.sequences.update(seq, { name: 'Renamed by control' }), true));
  });
  method('sequences.delete', (b) => b.id('id', (v) => (s) => s.sequences.delete(v as never)));

  method('sequences.addStep', (b) => {
    b.id('id', (v) => (s) => s.sequences.addStep(v as never, { subject: 'New' }));
    b.object({
      name: 'input',
      base: () => ({ subject: 'New', templateId: 2, delayDays: 1, delayHours: 0, sendTime: '09:00' }),
      fields: stepFields(true),
      invoke: (value) => (s) => s.sequences.addStep(seq, value as never),
    });
    b.add(
      valid(
        'valid addStep',
        (s) => s.sequences.addStep(seq, { subject: 'Added by control', delayDays: 9 }),
        true,
      ),
    );
  });

  method('sequences.updateStep', (b) => {
    b.id('id', (v) => (s) => s.sequences.updateStep(v as never, step0, { subject: 'Edited' }));
    b.id('stepId', (v) => (s) => s.sequences.updateStep(seq, v as never, { subject: 'Edited' }));
    b.object({
      name: 'input',
      base: () => ({ subject: 'Edited' }),
      fields: stepFields(false),
      invoke: (value) => (s) => s.sequences.updateStep(seq, step1, value as never),
    });
    b.add(
      valid(
        'valid updateStep',
        (s) => s.sequences.updateStep(seq, step0, { subject: 'Edited by control' }),
        true,
      ),
    );
  });

  method('sequences.deleteStep', (b) => {
    b.id('id', (v) => (s) => s.sequences.deleteStep(v as never, step1));
    b.id('stepId', (v) => (s) => s.sequences.deleteStep(seq, v as never));
  });

  method('sequences.reorderSteps', (b) => {
    b.id('id', (v) => (s) => s.sequences.reorderSteps(v as never, [step1, step0]));
    b.positional(
      'stepIds',
      [
        undefined,
        null,
        5,
        'x',
        {},
        [],
        ['a'],
        [1.5],
        [-1],
        [0],
        [2 ** 31],
        [10n],
        [MAX_ID],
        [step0],
        [step0, step0, step1],
        [step1, step0, MAX_ID],
        Array.from({ length: 101 }, () => step0),
        { length: 2, 0: step1, 1: step0 },
      ],
      gen.id.map((id) => [step1, step0, id]),
      (v) => (s) => s.sequences.reorderSteps(seq, v as never),
    );
    b.add(
      valid(
        'same order',
        async (s) =>
          s.sequences.reorderSteps(
            seq,
            (await s.sequences.get(seq)).steps.map((x) => x.id),
          ),
        true,
      ),
    );
  });

  const dataPaths = ['data'];
  method('sequences.enrollRecipient', (b) => {
    b.id('id', (v) => (s) => s.sequences.enrollRecipient(v as never, 'new@example.org', { name: 'N' }));
    b.positional(
      'email',
      [undefined, ...badEmails()],
      gen.email,
      (v) => (s) => s.sequences.enrollRecipient(seq, v as never, { name: 'N' }),
    );
    const bad = [
      ...badData({ nullable: true }),
      { timezone: 'Mars/Base' },
      { timezone: 5 },
      protoKey({ timezone: 'Asia/Tokyo' }),
    ];
    let n = 0;
    for (const data of bad) {
      const email = `data-${n++}@example.org`;
      b.add(
        invalid(`data=${render(data)}`, dataPaths, (s) =>
          s.sequences.enrollRecipient(seq, email, data as never),
        ),
      );
    }
    for (const data of b.sample(gen.data)) {
      const email = `data-${n++}@example.org`;
      b.add(
        invalid(`data generated ${render(data)}`, dataPaths, (s) =>
          s.sequences.enrollRecipient(seq, email, data as never),
        ),
      );
    }
    const control = b.index();
    b.add(
      valid(
        'valid enroll',
        (s) => s.sequences.enrollRecipient(seq, `control-${control}@example.org`, { name: 'C' }),
        true,
      ),
    );
  });

  method('sequences.enrollRecipients', (b) => {
    b.id('id', (v) => (s) => s.sequences.enrollRecipients(v as never, [{ email: 'bulk@example.org' }]));
    b.positional(
      'recipients',
      [
        undefined,
        null,
        5,
        'x',
        {},
        10n,
        true,
        { length: 1, 0: { email: 'bulk@example.org' } },
        new Set([{ email: 'set@example.org' }]),
      ],
      undefined,
      (v) => (s) => s.sequences.enrollRecipients(seq, v as never),
    );
    b.add(
      invalid('more than maxBulkEnrollment', ['recipients'], (s) =>
        s.sequences.enrollRecipients(
          seq,
          Array.from({ length: 10_001 }, (_, k) => ({ email: `many${k}@example.org` })),
        ),
      ),
    );
    // Bad items are reported one by one (documented), or the call is rejected naming them.
    const items: unknown[] = [
      { email: 'nope' },
      5,
      null,
      'a@example.org',
      [],
      { email: 'i1@example.org', data: 'str' },
      { email: 'i2@example.org', data: [1] },
      { email: 'i3@example.org', data: { n: 10n } },
      { email: 'i4@example.org', n: 10n },
      { email: 'i5@example.org', data: cyclic() },
      { email: 'i6@example.org', name: NUL },
      { email: 'i7@example.org', data: { name: SURROGATE } },
      { email: 'i8@example.org', timezone: 'Mars/Base' },
      { email: 'i9@example.org', 'key\u0000': 1 },
      Object.assign(protoKey({ timezone: 'Asia/Tokyo' }), { email: 'i10@example.org' }),
      { email: 'i11@example.org', data: protoKey() },
    ];
    let n = 0;
    for (const item of items) {
      b.add(reportedOrRejected(`item ${render(item)}`, [item]));
    }
    for (const data of b.sample(gen.data)) {
      b.add(
        reportedOrRejected(`item with generated data ${render(data)}`, [
          { email: `gen${n++}@example.org`, data },
        ]),
      );
    }
    b.add(
      notFound('sequence does not exist', (s) =>
        s.sequences.enrollRecipients(MAX_ID, [{ email: 'x@example.org' }]),
      ),
    );
    const control = b.index();
    b.add(
      valid(
        'valid bulk',
        (s) =>
          s.sequences.enrollRecipients(seq, [{ email: `bulk-${control}@example.org`, data: { name: 'B' } }]),
        true,
      ),
    );

    function reportedOrRejected(label: string, recipients: unknown[]) {
      const base = invalid(label, ['recipients'], (s) => s.sequences.enrollRecipients(seq, recipients));
      return {
        ...base,
        judge: (o: Parameters<typeof base.judge>[0]) => {
          if (o.status === 'resolved') {
            const r = o.value as { enrolled: number; invalid: Array<{ index: number }> };
            return r.enrolled === 0 && r.invalid.length === recipients.length
              ? undefined
              : `accepted: ${render(r, 80)}`;
          }
          return base.judge(o);
        },
      };
    }
  });

  method('sequences.listEnrollments', (b) => {
    b.id('id', (v) => (s) => s.sequences.listEnrollments(v as never));
    b.object({
      name: 'query',
      optional: true,
      base: () => ({ limit: 10, offset: 0, status: 'active', email: 'ann@example.org' }),
      fields: {
        limit: { bad: [0, 501, -1, 1.5, 'abc', Number.NaN, null, {}] },
        offset: { bad: [-1, 1.5, 'x', Number.NaN, {}] },
        status: { bad: ['exploded', 5, null, 'ACTIVE'] },
        email: { bad: [5, '', '   ', null, {}, 'ann@example.org\u0000', 'a\uD800@example.org'] },
      },
      invoke: (value) => (s) => s.sequences.listEnrollments(seq, value as never),
    });
    b.add(valid('list seeded', (s) => s.sequences.listEnrollments(seq)));
    b.add(valid('by email', (s) => s.sequences.listEnrollments(seq, { email: ' ANN@example.org ' })));
  });

  method('sequences.getEnrollment', (b) => {
    b.id('id', (v) => (s) => s.sequences.getEnrollment(v as never));
    b.add(valid('get seeded', (s) => s.sequences.getEnrollment(enrollment0)));
  });
  for (const action of [
    'pauseEnrollment',
    'resumeEnrollment',
    'completeEnrollment',
    'advanceStep',
  ] as const) {
    method(`sequences.${action}`, (b) => b.id('id', (v) => (s) => s.sequences[action](v as never)));
  }
  method('sequences.cancelEnrollment', (b) => {
    b.id('id', (v) => (s) => s.sequences.cancelEnrollment(v as never));
    b.positional(
      'reason',
      badText({ max: 1000, trimmed: true }),
      gen.text(1000, true),
      (v) => (s) => s.sequences.cancelEnrollment(enrollment0, v as never),
    );
  });
  method('sequences.updateEnrollment', (b) => {
    b.id('id', (v) => (s) => s.sequences.updateEnrollment(v as never, enrollment0, { action: 'pause' }));
    b.id('enrollmentId', (v) => (s) => s.sequences.updateEnrollment(seq, v as never, { action: 'pause' }));
    b.object({
      name: 'input',
      base: () => ({ action: 'pause' }),
      fields: { action: { bad: ['explode', '', 5, null, 'PAUSE', 'toString'], required: true } },
      invoke: (value) => (s) => s.sequences.updateEnrollment(seq, enrollment0, value as never),
    });
    b.positional(
      'reason',
      badText({ max: 1000, trimmed: true }),
      gen.text(1000, true),
      (v) => (s) => s.sequences.updateEnrollment(seq, enrollment0, { action: 'cancel', reason: v } as never),
    );
    b.add(
      notFound('enrollment of another sequence', (s) =>
        s.sequences.updateEnrollment(MAX_ID, enrollment0, { action: 'pause' }),
      ),
    );
  });

  // --- batches ---------------------------------------------------------------------------
  const recipientsBad: unknown[] = [
    undefined,
    null,
    5,
    'x',
    {},
    [],
    [5],
    [{}],
    [null],
    [{ email: 'nope' }],
    [{ email: `${'a'.repeat(310)}@example.org` }],
    [{ email: 'a@example.org', n: 10n }],
    [{ email: 'a@example.org', self: cyclic() }],
    [{ email: 'a@example.org', name: NUL }],
    [{ email: 'a@example.org', name: SURROGATE }],
    [{ email: 'a@example.org', 'key\u0000': 1 }],
    [Object.assign(protoKey({ timezone: 'Asia/Tokyo' }), { email: 'a@example.org' })],
    new Set([{ email: 'a@example.org' }, { email: 'nope' }]),
    (async function* () {
      yield { email: 'a@example.org' };
      yield { email: 'b@example.org', n: 10n };
    })(),
  ];
  const targetBad: unknown[] = [
    '25:00',
    '9:00',
    5,
    null,
    {},
    [],
    { time: '9' },
    { time: '09:00', date: '2026-02-30' },
    { time: '09:00', date: '1899-12-31' },
    { time: '09:00', date: '9999-12-31' },
    { time: '09:00', date: '2026-3-10' },
    { date: '2026-03-10' },
    { time: '09:00', extra: 1 },
    { time: '09:00\u0000' },
  ];
  const messageBad: unknown[] = [
    'x',
    5,
    null,
    [],
    { subject: 5 },
    { subject: 'x'.repeat(999) },
    { subject: NUL },
    { subject: SURROGATE },
    { cc: ['nope'] },
    { bcc: emails(101) },
    { templateId: 0 },
    { templateId: 2 ** 31 },
    { unknown: true },
  ];
  const policyBad: unknown[] = ['later', '', 5, null, 'NEXT-DAY'];
  const batchFields: Record<string, Field> = {
    campaignId: { bad: badIds(), random: gen.id, required: true },
    recipients: {
      bad: recipientsBad,
      random: gen.data.map((d) => [{ email: 'a@example.org', ...d }]),
      required: true,
    },
    target: { bad: targetBad, required: true },
    message: { bad: messageBad },
    pastTargetPolicy: { bad: policyBad },
    fallbackTimezone: { bad: badTimezones(), random: gen.timezone },
  };
  const batchBase = (i: number) => ({
    campaignId: 1000 + i,
    recipients: [{ email: 'a@example.org', timezone: 'Asia/Kolkata' }, { email: 'b@example.org' }],
    target: { time: '10:00', date: '2026-03-11' },
    message: { subject: 'Fuzz' },
    pastTargetPolicy: 'next-day',
    fallbackTimezone: 'UTC',
  });

  method('batches.createTimezoneBatches', (b) => {
    b.object({
      name: 'request',
      base: batchBase,
      fields: batchFields,
      // Spread over the positional arguments; unknown keys go to `options`.
      invoke: (value) => (s) => {
        if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date) {
          return s.batches.createTimezoneBatches(value as never, [{ email: 'a@example.org' }], '10:00');
        }
        const { campaignId, recipients, target, ...options } = value as Record<string, unknown>;
        return s.batches.createTimezoneBatches(
          campaignId as never,
          recipients as never,
          target as never,
          options,
        );
      },
      wholeCases: false,
    });
    for (const options of [5, 'x', true, [], [{}], 10n, null]) {
      const i = b.index();
      const { campaignId, recipients, target } = batchBase(i);
      b.add(
        invalid(`options=${render(options)}`, ['options', ''], (s) =>
          s.batches.createTimezoneBatches(campaignId, recipients, target, options as never),
        ),
      );
    }
    const i = b.index();
    const { campaignId, recipients, target } = batchBase(i);
    b.add(
      valid('valid create', (s) => s.batches.createTimezoneBatches(campaignId, recipients, target), true),
    );
  });

  method('batches.create', (b) => {
    b.object({
      name: 'input',
      base: batchBase,
      fields: batchFields,
      invoke: (value) => (s) => s.batches.create(value as never),
    });
    const i = b.index();
    b.add(valid('valid create', (s) => s.batches.create(batchBase(i) as never), true));
  });

  method('batches.get', (b) => {
    b.id('id', (v) => (s) => s.batches.get(v as never));
    b.add(valid('get seeded', (s) => s.batches.get(ids.batchId)));
  });

  method('batches.list', (b) => {
    b.object({
      name: 'filter',
      optional: true,
      base: () => ({ limit: 10, offset: 0, campaignId: ids.batchCampaignId, status: 'pending' }),
      fields: {
        ...pageFields(500),
        campaignId: { bad: badIds().filter((v) => v !== undefined), random: gen.id },
        requestId: { bad: badIds().filter((v) => v !== undefined), random: gen.id },
        status: { bad: ['exploded', 5, null, 'PENDING'] },
      },
      invoke: (value) => (s) => s.batches.list(value as never),
    });
    b.add(valid('list()', (s) => s.batches.list()));
    b.add(valid('by campaign', (s) => s.batches.list({ campaignId: String(ids.batchCampaignId) })));
  });

  method('batches.listRecipients', (b) => {
    b.id('id', (v) => (s) => s.batches.listRecipients(v as never));
    b.object({
      name: 'page',
      optional: true,
      base: () => ({ limit: 10, offset: 0 }),
      fields: pageFields(500),
      invoke: (value) => (s) => s.batches.listRecipients(ids.batchId, value as never),
    });
    b.add(valid('seeded', (s) => s.batches.listRecipients(ids.batchId)));
  });

  const cancelOptions = (invoke: (value: unknown) => Call) => ({
    name: 'options',
    optional: true,
    base: () => ({ reason: 'fuzz' }),
    fields: { reason: { bad: badText({ max: 500 }), random: gen.text(500) } },
    invoke,
  });
  method('batches.cancel', (b) => {
    b.id('id', (v) => (s) => s.batches.cancel(v as never));
    // On the pending seeded batch: accepting the options would cancel it.
    b.object(cancelOptions((value) => (s) => s.batches.cancel(ids.batchId, value as never)));
  });
  method('batches.cancelCampaign', (b) => {
    b.id('campaignId', (v) => (s) => s.batches.cancelCampaign(v as never), 'none');
    b.object(cancelOptions((value) => (s) => s.batches.cancelCampaign(ids.batchCampaignId, value as never)));
    for (const id of MISSING_IDS) {
      b.add(
        answers(
          `campaignId=${render(id)} (no batches)`,
          (s) => s.batches.cancelCampaign(id as never),
          (v) => (v as { cancelledBatchIds: unknown[] }).cancelledBatchIds.length === 0,
          'nothing cancelled',
        ),
      );
    }
  });

  return targets;
}
