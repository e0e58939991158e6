import { defineSequence } from './define-sequence';

/**
 * welcome: send `welcome` now; wait up to `data.wait` (default 1 day) for the activation event
 * (`data.activation_event`, default "Product Used"); if it does not come, send `getting-started`.
 */
export default defineSequence({
  name: 'welcome',
  description: 'Send "welcome", then "getting-started" if the user does not activate within a day',
  outline: [
    { action: 'send', template: 'welcome' },
    { action: 'wait-for', ref: 'activation', event: 'Product Used', timeout: '1 day' },
    { action: 'branch', paths: [{ if: 'refs.activation.matched == false', steps: [{ action: 'send', template: 'getting-started' }] }] },
  ],
  async run(s) {
    await s.send({ template: 'welcome' });
    const activation = await s.waitFor({
      event: typeof s.data.activation_event === 'string' ? s.data.activation_event : 'Product Used',
      timeout: typeof s.data.wait === 'string' || typeof s.data.wait === 'number' ? s.data.wait : '1 day',
    });
    if (!activation.matched) await s.send({ template: 'getting-started' });
  },
});
