import nodemailer from 'nodemailer';
import { PermanentDeliveryError, type OutgoingMessage, type SendContext, type Transport } from 'tickwork';
import { getTemplate, render, type MailerDb } from './mailer-db.js';

/** What nodemailer's JSON transport produced for one message (its `message`, parsed). */
export interface SentMail {
  messageId: string;
  from: { address: string };
  to: Array<{ address: string }>;
  subject: string;
  text: string;
  headers: Record<string, string>;
}

export interface MailTransport extends Transport {
  /** Every message nodemailer accepted, in order (the JSON transport's output). */
  readonly sent: SentMail[];
}

/**
 * The mailer's transport for tickwork: renders the mailer's own template with the
 * recipient's fields and sends it with nodemailer. Here nodemailer's JSON transport stands
 * in for SMTP; in production pass `nodemailer.createTransport({ host, port, auth })`.
 */
export function createMailTransport(
  db: MailerDb,
  mailer = nodemailer.createTransport({ jsonTransport: true }),
  from = 'Acme <news@acme.example>',
): MailTransport {
  const sent: SentMail[] = [];
  return {
    sent,
    async send(message: OutgoingMessage, { idempotencyKey }: SendContext) {
      const template = message.templateId === null ? undefined : getTemplate(db, message.templateId);
      // Retrying cannot make a missing template appear: dead-letter at once.
      if (!template) throw new PermanentDeliveryError(`template ${message.templateId} does not exist`);
      const fields = { ...message.recipient, name: message.recipient.name ?? message.to };
      const info = await mailer.sendMail({
        from,
        to: message.to,
        cc: message.cc,
        bcc: message.bcc,
        // A subject set on the campaign/step wins; otherwise the template's.
        subject: message.subject || render(template.subject, fields),
        text: render(template.body, fields),
        // Stable across retries: a provider that dedupes on it makes sending exactly-once.
        headers: { 'X-Idempotency-Key': idempotencyKey },
      });
      // The JSON transport hands back the message as JSON: keep it for the log (and the tests).
      if (typeof info.message === 'string') sent.push(JSON.parse(info.message) as SentMail);
      return { messageId: info.messageId };
    },
  };
}
