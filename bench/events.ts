/** The events the bench posts (plain module: the load-generator child process loads it too). */
export const MAPPED_EVENT = 'BenchE2E';

/** An identify of one of ~1000 users with a few traits (also the body size of the Postgres baseline). */
export function identifyEvent(tag: string, n: number) {
  const u = n % 1000;
  return { type: 'identify', userId: `user-${u}`, messageId: `id-${tag}-${n}`, traits: { email: `user${u}@example.com`, name: `User ${u}`, plan: u % 3 ? 'pro' : 'free', logins: n } };
}

export function trackEvent(messageId: string, n: number) {
  return { type: 'track', event: MAPPED_EVENT, userId: `user-${n % 1000}`, messageId, properties: { n, plan: 'pro' } };
}

