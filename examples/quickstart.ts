import { createScheduler } from 'tickwork';
import { sqliteStore } from 'tickwork/sqlite';

const scheduler = createScheduler({
  store: sqliteStore('./quickstart.db'),
  transport: {
    // Your mail sending: render message.templateId with message.recipient's fields, then send.
    // Throw to retry later; throw PermanentDeliveryError (a hard bounce) to give up at once.
    async send(message, { idempotencyKey }) {
      console.log(`to ${message.to}: ${message.subject} [${idempotencyKey}]`);
      return { messageId: `<${idempotencyKey}@example.org>` }; // optional, kept on the outbox row
    },
  },
});
await scheduler.migrate(); // creates tickwork's tables; safe on every start

// A weekly campaign: Mondays at 09:00, Berlin time.
await scheduler.recurring.create({
  name: 'Weekly digest',
  subject: 'Your week',
  recipientSource: 'static',
  recipientData: [{ email: 'ada@example.org', name: 'Ada' }],
  scheduleCron: '0 9 * * 1',
  timezone: 'Europe/Berlin',
});

// A drip sequence: a welcome now, tips two days later at 09:00 on the recipient's clock.
const onboarding = await scheduler.sequences.create({
  name: 'Onboarding',
  steps: [{ subject: 'Welcome!' }, { subject: 'Three tips', delayDays: 2, sendTime: '09:00' }],
});
await scheduler.sequences.enrollRecipient(onboarding.id, 'grace@example.org', {
  name: 'Grace',
  timezone: 'America/New_York',
});

// One campaign at 09:00 in each recipient's own timezone.
await scheduler.batches.createTimezoneBatches(
  42, // your campaign's id
  [
    { email: 'alan@example.org', timezone: 'Europe/London' },
    { email: 'ken@example.org', timezone: 'Asia/Tokyo' },
  ],
  { time: '09:00' },
  { message: { subject: 'Spring sale' } },
);

// Your server ticks from its own scheduler (a setInterval, a cron job, a worker loop):
//   setInterval(() => scheduler.tick(new Date()), 60_000);
// Here, one tick: 'Welcome!' goes out now, the rest when it is due.
const summary = await scheduler.tick(new Date());
console.log(`sent ${summary.delivery.sent}`);
await scheduler.close();
