import { filterProblem, matches, readsTenants } from '../../src/audiences/audience-filter';

describe('audience filters', () => {
  const scope = { profile: { plan: 'pro', country: 'NO', age: '42', tags: ['beta'] }, tenants: ['acme', 'globex'] };

  it('evaluate the condition language over { profile, tenants }', () => {
    expect(matches({ AND: [['profile.plan', 'is equal', 'pro'], ['profile.country', 'is equal', 'NO']] }, scope)).toBe(true);
    expect(matches({ AND: [['profile.plan', 'is equal', 'pro'], ['profile.country', 'is equal', 'SE']] }, scope)).toBe(false);
    expect(matches(['tenants', 'contains', 'acme'], scope)).toBe(true);
    expect(matches(['tenants', 'contains', 'initech'], scope)).toBe(false);
    expect(matches(['profile.age', 'greater than', 40], scope)).toBe(true);
    expect(matches(['profile.tags', 'contains', 'beta'], scope)).toBe(true);
    expect(matches(['profile.missing', 'exists'], scope)).toBe(false);
    expect(matches('profile.plan == "pro" && "globex" in tenants', scope)).toBe(true);
    expect(matches(true, { profile: {}, tenants: [] })).toBe(true);
  });

  it('are validated on save, naming where the problem is', () => {
    expect(filterProblem({ AND: [['profile.plan', 'is equal', 'pro'], ['tenants', 'contains', 'acme']] })).toBeUndefined();
    expect(filterProblem('profile.age >= 18')).toBeUndefined();
    expect(filterProblem(undefined)).toBe('filter is required');
    expect(filterProblem({ OR: [['profile.plan', 'is', 'pro']] })).toBe('filter.OR[0]: unknown operator "is"');
    expect(filterProblem({ AND: [{ OR: [['data.plan', 'exists']] }] })).toMatch(/^filter\.AND\[0\]\.OR\[0\]: path "data\.plan" must start with "profile\."/);
    expect(filterProblem({ NOT: [] })).toMatch(/^filter: a condition object must have exactly one key/);
    expect(filterProblem('profile.x()')).toMatch(/^filter: expression: unsupported construct/);
  });

  it('know whether they read tenant membership', () => {
    expect(readsTenants(['tenants', 'contains', 'acme'])).toBe(true);
    expect(readsTenants(['profile.plan', 'is equal', 'pro'])).toBe(false);
  });
});
