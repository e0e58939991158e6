import { identifyTraits, normalizeEvent, splitInboundBody } from '../../src/inbound/inbound-event';
import { deepMerge } from '../../src/common/json/json-merge';

describe('normalizeEvent', () => {
  it('derives the catalog id per type', () => {
    expect(normalizeEvent({ type: 'track', userId: 'u', event: 'Signed Up' }).eventId).toBe('track/Signed Up');
    expect(normalizeEvent({ type: 'page', userId: 'u', name: 'Home' }).eventId).toBe('page/Home');
    expect(normalizeEvent({ type: 'screen', userId: 'u', properties: { name: 'Cart' } }).eventId).toBe('screen/Cart');
    expect(normalizeEvent({ type: 'page', userId: 'u' }).eventId).toBe('page');
    expect(normalizeEvent({ type: 'Group', userId: 'u', groupId: 7 }).eventId).toBe('group');
    expect(normalizeEvent({ type: 'alias', userId: 'u', previousId: 'p' }).eventId).toBe('alias');
  });

  it('prefers userId over anonymousId and accepts numeric ids', () => {
    expect(normalizeEvent({ type: 'track', userId: 42, anonymousId: 'a', event: 'E' })).toMatchObject({ recipientId: '42', userId: '42' });
    expect(normalizeEvent({ type: 'track', anonymousId: 'a', event: 'E' })).toMatchObject({ recipientId: 'a', userId: null });
  });

  it('names the batch position in errors', () => {
    expect(() => normalizeEvent({ type: 'track' }, 'batch[3].')).toThrow('batch[3].userId or anonymousId is required');
    expect(() => normalizeEvent(5, 'batch[0].')).toThrow('batch[0] must be a JSON object');
  });

  it('splits single events, arrays and batches', () => {
    expect(splitInboundBody({ type: 'track' })).toEqual([{ raw: { type: 'track' }, path: '' }]);
    expect(splitInboundBody([1, 2]).map((i) => i.path)).toEqual(['[0].', '[1].']);
    expect(splitInboundBody({ batch: [1] }).map((i) => i.path)).toEqual(['batch[0].']);
  });

  it('identify traits come from traits, else context.traits', () => {
    expect(identifyTraits({ traits: { a: 1 }, context: { traits: { b: 2 } } })).toEqual({ a: 1 });
    expect(identifyTraits({ context: { traits: { b: 2 } } })).toEqual({ b: 2 });
  });
});

describe('deepMerge', () => {
  it('merges objects recursively; arrays and scalars replace; inputs are untouched', () => {
    const base = { a: { b: 1, c: [1, 2] }, d: 'x' };
    const patch = { a: { c: [3], e: { f: true } }, d: null };
    expect(deepMerge(base, patch)).toEqual({ a: { b: 1, c: [3], e: { f: true } }, d: null });
    expect(base).toEqual({ a: { b: 1, c: [1, 2] }, d: 'x' });
  });

  it('drops __proto__ and keeps constructor/prototype as plain data', () => {
    const patch = JSON.parse('{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 1}}}');
    const merged = deepMerge({}, patch);
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(Object.keys(merged)).toEqual(['constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
