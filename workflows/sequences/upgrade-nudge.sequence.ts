import { defineSequence } from './define-sequence';

/**
 * upgrade-nudge: one run per user at a time; wait up to `data.wait` (default 3 days) for
 * "Upgraded"; if it does not come, send `upgrade-nudge`.
 */
export default defineSequence({
  name: 'upgrade-nudge',
  description: 'Send "upgrade-nudge" unless the user upgrades within 3 days (one run per user at a time)',
  singleton: true,
  outline: [
    { action: 'wait-for', ref: 'upgraded', event: 'Upgraded', timeout: '3 days' },
    { action: 'branch', paths: [{ if: 'refs.upgraded.matched == false', steps: [{ action: 'send', template: 'upgrade-nudge' }] }] },
  ],
  async run(s) {
    const upgraded = await s.waitFor({
      event: 'Upgraded',
      timeout: typeof s.data.wait === 'string' || typeof s.data.wait === 'number' ? s.data.wait : '3 days',
    });
    if (!upgraded.matched) await s.send({ template: 'upgrade-nudge' });
  },
});
