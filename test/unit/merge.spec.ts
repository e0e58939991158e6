import { MERGE_STRATEGIES, mergeWithStrategy, MergeStrategy } from '../../workflows/shared/merge';

const existing = () => ({ name: 'Ann', plan: 'free', address: { city: 'Oslo', zip: '0150' }, tags: ['a'] });
const incoming = () => ({ plan: 'pro', address: { city: 'Bergen' }, tags: ['b'], age: 30 });

describe('mergeWithStrategy', () => {
  it('lists the strategies', () => {
    expect([...MERGE_STRATEGIES]).toEqual(['replace', 'overwrite', 'soft-merge', 'none']);
  });

  it('replace: incoming wins entirely, as a copy', () => {
    const next = incoming();
    const out = mergeWithStrategy('replace', existing(), next);
    expect(out).toEqual(incoming());
    expect(out).not.toBe(next);
    expect(out.address).not.toBe(next.address);
  });

  it('overwrite: deep merge, incoming wins', () => {
    expect(mergeWithStrategy('overwrite', existing(), incoming())).toEqual({
      name: 'Ann',
      plan: 'pro',
      address: { city: 'Bergen', zip: '0150' },
      tags: ['b'],
      age: 30,
    });
    expect(mergeWithStrategy('overwrite', undefined, { a: 1 })).toEqual({ a: 1 });
  });

  it('soft-merge: shallow, existing top-level keys win', () => {
    expect(mergeWithStrategy('soft-merge', existing(), incoming())).toEqual({
      name: 'Ann',
      plan: 'free',
      address: { city: 'Oslo', zip: '0150' },
      tags: ['a'],
      age: 30,
    });
    expect(mergeWithStrategy('soft-merge', { a: null }, { a: 1, b: 2 })).toEqual({ a: null, b: 2 });
    expect(mergeWithStrategy('soft-merge', null, { a: 1 })).toEqual({ a: 1 });
  });

  it('none: writes only when nothing exists', () => {
    expect(mergeWithStrategy('none', undefined, { a: 1 })).toEqual({ a: 1 });
    expect(mergeWithStrategy('none', null, { a: 1 })).toEqual({ a: 1 });
    expect(mergeWithStrategy('none', {}, { a: 1 })).toEqual({ a: 1 });
    expect(mergeWithStrategy('none', existing(), incoming())).toEqual(existing());
  });

  it.each(MERGE_STRATEGIES)('%s never mutates its inputs', (strategy) => {
    const a = existing();
    const b = incoming();
    const out = mergeWithStrategy(strategy, a, b);
    out.address.city = 'changed';
    (out.tags as string[]).push('z');
    expect(a).toEqual(existing());
    expect(b).toEqual(incoming());
  });

  it.each(MERGE_STRATEGIES)('%s drops __proto__ keys at every depth', (strategy) => {
    const polluted = JSON.parse('{"__proto__": {"evil": 1}, "x": {"__proto__": {"evil": 2}, "y": 1}}');
    const empty = strategy === 'none' ? {} : JSON.parse('{"__proto__": {"evil": 3}, "w": 1}');
    const out = mergeWithStrategy(strategy, empty, polluted);
    const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
    expect(hasOwn(out, '__proto__')).toBe(false);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(out.evil).toBeUndefined();
    expect(hasOwn(out.x, '__proto__')).toBe(false);
    expect(out.x.y).toBe(1);
    expect(({} as Record<string, unknown>).evil).toBeUndefined();
  });

  it('rejects an unknown strategy', () => {
    expect(() => mergeWithStrategy('merge' as MergeStrategy, {}, {})).toThrow(/unknown merge strategy "merge"/);
  });
});
