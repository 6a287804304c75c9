/** Valid request bodies, shared by the route tests and the fuzz pass. */
export const validCampaign = {
  name: 'Weekly digest',
  subject: 'This week',
  templateId: 3,
  recipientSource: 'static',
  recipientData: ['ann@example.org', { email: 'bob@example.org', name: 'Bob' }],
  scheduleCron: '0 9 * * 1',
  timezone: 'Europe/Berlin',
  cc: ['archive@example.org'],
};

export const validSequence = {
  name: 'Onboarding',
  timezone: 'America/New_York',
  steps: [
    { subject: 'Welcome', templateId: 1 },
    { subject: 'Tips', templateId: 2, delayDays: 2, sendTime: '09:00' },
  ],
};

export const validBatch = {
  campaignId: 42,
  recipients: [
    { email: 'a@example.org', timezone: 'Asia/Kolkata' },
    { email: 'b@example.org', timezone: 'Europe/London' },
    { email: 'c@example.org' },
  ],
  target: { time: '09:00', date: '2026-03-10' },
  message: { subject: 'Spring sale', templateId: 7 },
};
