import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

/**
 * The designer's pure step-tree functions (studio/lib/flow.js). They are ES modules served to
 * the browser as they are; jest runs CommonJS, so each case runs in a Node child process that
 * imports the file just as the browser does.
 */
const FLOW = path.resolve(__dirname, '../../studio/lib/flow.js');

function run<T>(body: string): T {
  const script = `import * as f from ${JSON.stringify(FLOW)};\nconst out = (() => { ${body} })();\nprocess.stdout.write(JSON.stringify(out));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as T;
}

const TREE = [
  { action: 'delay', duration: '1 hour' },
  {
    action: 'branch',
    paths: [
      { if: 'data.plan == "pro"', steps: [{ action: 'send', template: 'pro' }, { action: 'exit' }] },
      { if: 'data.plan == "team"', steps: [] },
    ],
    default: { steps: [{ action: 'send', template: 'basic' }] },
  },
  { action: 'wait-for', event: 'Activated', timeout: '1 day' },
];
const tree = `const tree = ${JSON.stringify(TREE)};`;

describe('studio flow functions', () => {
  it('names the nodes in drawing order with the run engine paths, and finds each', () => {
    const order = run<string[]>(`${tree} return f.drawingOrder(tree).map((n) => n.path);`);
    expect(order).toEqual(['0', '1', '1.paths[0].0', '1.paths[0].1', '1.default.0', '2']);
    expect(run(`${tree} return f.stepAt(tree, '1.paths[0].1');`)).toEqual({ action: 'exit' });
    expect(run(`${tree} return f.stepAt(tree, '1.default.0').template;`)).toBe('basic');
    expect(run(`${tree} return f.stepAt(tree, '1.paths[1].0') ?? null;`)).toBeNull();
  });

  it('inserts, removes, replaces and moves without touching the original', () => {
    const result = run<Record<string, unknown>>(`${tree}
      const before = JSON.stringify(tree);
      const inserted = f.insertAt(tree, '1.paths[1]', 0, { action: 'exit' });
      const removed = f.removeAt(tree, '1.paths[0].0');
      const moved = f.moveWithin(tree, '2', -1);
      return {
        untouched: JSON.stringify(tree) === before,
        inserted: f.stepAt(inserted, '1.paths[1].0'),
        removed: f.stepAt(removed, '1.paths[0].0'),
        moved: [moved.path, moved.steps.map((s) => s.action)],
        atTop: f.moveWithin(tree, '0', -1),
        replaced: f.stepAt(f.replaceAt(tree, '0', { action: 'delay', duration: '2 days' }), '0'),
      };`);
    expect(result).toEqual({
      untouched: true,
      inserted: { action: 'exit' },
      removed: { action: 'exit' },
      moved: ['1', ['delay', 'wait-for', 'branch']],
      atTop: null,
      replaced: { action: 'delay', duration: '2 days' },
    });
  });

  it('moves sideways between branch columns, skipping to the branch when a column is empty', () => {
    expect(run(`${tree} return [f.sideways(tree, '1.paths[0].1', 1), f.sideways(tree, '1.paths[0].0', -1), f.sideways(tree, '0', 1)];`)).toEqual(['1', null, null]);
    expect(run(`${tree} const t = f.insertAt(tree, '1.paths[1]', 0, { action: 'exit' }); return f.sideways(t, '1.paths[0].0', 1);`)).toBe('1.paths[1].0');
    expect(run(`${tree} const t = f.insertAt(tree, '1.paths[1]', 0, { action: 'exit' }); return f.sideways(t, '1.paths[1].0', 1);`)).toBe('1.default.0');
  });

  it("places Herald's validation messages at their node and field", () => {
    // A message's own "; " stays in it: problems are split only where the next names a step.
    const message = [
      'name must be a string',
      'steps[1].paths[0].steps[0].template: Invalid input',
      'steps[1].default.steps[0].channels[0]: Too small',
      'steps[2]: expression: unexpected token',
      'steps[1].paths[1].if: expression: bad; unclosed (',
    ].join('; ');
    expect(run(`return f.locateProblems(${JSON.stringify(message)});`)).toEqual({
      byPath: {
        '1.paths[0].0': [{ field: 'template', message: 'Invalid input' }],
        '1.default.0': [{ field: 'channels[0]', message: 'Too small' }],
        '2': [{ field: null, message: 'expression: unexpected token' }],
        '1': [{ field: 'paths[1].if', message: 'expression: bad; unclosed (' }],
      },
      general: ['name must be a string'],
    });
  });

  it('lists what changed against the published steps: added, removed, changed with its fields, inside branches too', () => {
    const after = structuredClone(TREE) as Array<Record<string, any>>;
    after[0].duration = '2 hours';
    after[1].paths[0].steps.splice(1, 1); // remove exit in the pro path
    after[1].default.steps.push({ action: 'send', template: 'later' });
    after.splice(2, 0, { action: 'exit' });
    const changes = run<Array<Record<string, unknown>>>(`return f.diffSteps(${JSON.stringify(TREE)}, ${JSON.stringify(after)});`);
    expect(changes.map((c) => [c.kind, c.path, c.action])).toEqual([
      ['changed', '0', 'delay'],
      ['removed', '1.paths[0].1', 'exit'],
      ['added', '1.default.1', 'send'],
      ['added', '2', 'exit'],
    ]);
    expect(changes[0]).toMatchObject({ fields: ['duration'], before: 'for 1 hour', summary: 'for 2 hours' });
    expect(run(`return f.diffSteps(${JSON.stringify(TREE)}, ${JSON.stringify(TREE)});`)).toEqual([]);
  });
});
