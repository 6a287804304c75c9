import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// `npm run demo`, exactly as the README says: it simulates two weeks on a temp SQLite file
// with a fake clock, prints its timeline and summary, checks its own claims and exits 0.
const root = fileURLToPath(new URL('../..', import.meta.url));

describe('npm run demo', () => {
  it(
    'simulates two weeks and reports a timeline, local hours and the DST change',
    { timeout: 180_000 },
    async () => {
      const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'demo'], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, FORCE_COLOR: '0' },
        timeout: 170_000,
      });
      // Progress while it runs, one line per simulated day.
      expect(stdout.match(/simulating… day +\d+\/14/g)).toHaveLength(14);
      // The timeline: one line per UTC day, with the engines' sends.
      expect(stdout).toContain('Timeline');
      expect(stdout).toMatch(/^ {2}Sun 22 Mar +· +14 +· +14\b/m);
      expect(stdout).toMatch(/digest run at 08:00Z = 09:00 Berlin/);
      expect(stdout).toMatch(/digest run at 07:00Z = 09:00 Berlin/);
      // Local hours: every timed send in the 09:00 hour of its recipient's clock.
      expect(stdout).toMatch(/✓ 1,149 of 1,149 timed sends went out in the 09:00 hour/);
      // The DST change, found in the data and shown with the sends around it.
      expect(stdout).toContain('What happened on the DST change');
      expect(stdout).toMatch(
        /Sun 29 Mar 01:00Z +Europe\/London \+00:00→\+01:00, Europe\/Berlin \+01:00→\+02:00/,
      );
      expect(stdout).toMatch(
        /Europe\/Berlin +115 +Sun 29 Mar 07:00Z Sun 29 Mar 09:00 \+02:00 \(was \+01:00 at creation\)/,
      );
      // The summary and the demo's own checks.
      expect(stdout).toMatch(/sent +1,279: recurring 80 \(2 runs × 40\), sequence 200, batch 999/);
      expect(stdout).toMatch(/sent twice +0/);
      for (const claim of [
        'no message was sent twice',
        'every timed send went out at 09:00 local',
        'every sign-up got all 4 steps (200)',
        'every batch recipient was sent to, except the hard bounce',
        'the digest ran on both Mondays for every subscriber',
        'nothing left pending in the outbox',
      ]) {
        expect(stdout).toContain(`✓ ${claim}`);
      }
      expect(stdout).not.toContain('✗');
    },
  );
});
