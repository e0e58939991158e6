import type { Step } from '../../workflows/shared/step-schema';
import { enterPath, firstPath, nextPath, stepAt } from '../../src/automations/engine/step-tree';

const steps = [
  { action: 'send', template: 'a' },
  {
    action: 'branch',
    paths: [
      { if: 'data.x', steps: [{ action: 'delay', duration: '1s' }, { action: 'exit' }] },
      { if: 'data.y', steps: [] },
    ],
    default: { steps: [{ action: 'branch', paths: [{ if: 'data.z', steps: [{ action: 'send', template: 'deep' }] }] }] },
  },
  { action: 'send', template: 'last' },
] as unknown as Step[];

describe('step tree', () => {
  it('finds steps at top level and inside branch paths and defaults', () => {
    expect(stepAt(steps, '0')).toMatchObject({ template: 'a' });
    expect(stepAt(steps, '1.paths[0].0')).toMatchObject({ action: 'delay' });
    expect(stepAt(steps, '1.default.0.paths[0].0')).toMatchObject({ template: 'deep' });
    expect(stepAt(steps, '7')).toBeUndefined();
    expect(stepAt(steps, '0.paths[0].0')).toBeUndefined();
    expect(() => stepAt(steps, 'x')).toThrow(/bad step path/);
  });

  it('goes to the next sibling, then out of branches, then ends', () => {
    expect(firstPath(steps)).toBe('0');
    expect(firstPath([])).toBeNull();
    expect(nextPath(steps, '0')).toBe('1');
    expect(nextPath(steps, '1.paths[0].0')).toBe('1.paths[0].1');
    expect(nextPath(steps, '1.paths[0].1')).toBe('2');
    expect(nextPath(steps, '1.default.0.paths[0].0')).toBe('2');
    expect(nextPath(steps, '2')).toBeNull();
  });

  it('enters a branch path, or skips an empty one', () => {
    expect(enterPath(steps, '1', 'paths[0]')).toBe('1.paths[0].0');
    expect(enterPath(steps, '1', 'paths[1]')).toBe('2');
    expect(enterPath(steps, '1', 'default')).toBe('1.default.0');
  });
});
