import type { Step } from '../../../workflows/shared/step-schema';

/**
 * Positions in a run's step tree, as paths: "2" (top level), "3.paths[0].1" (inside a branch
 * path), "3.default.0" (inside a branch's default). Pure functions: the interpreter's "what
 * comes next" decisions, with their own unit tests.
 */

type Container = { kind: 'path'; index: number } | { kind: 'default' };
type Segment = { index: number; container?: Container };

const CONTAINER = /^(?:paths\[(\d+)\]|default)$/;

function parse(path: string): Segment[] {
  const parts = path.split('.');
  const segments: Segment[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    const index = Number(parts[i]);
    if (!Number.isInteger(index) || index < 0) throw new Error(`bad step path ${JSON.stringify(path)}`);
    const name = parts[i + 1];
    let container: Container | undefined;
    if (name !== undefined) {
      const m = CONTAINER.exec(name);
      if (!m) throw new Error(`bad step path ${JSON.stringify(path)}`);
      container = m[1] !== undefined ? { kind: 'path', index: Number(m[1]) } : { kind: 'default' };
    }
    segments.push({ index, container });
  }
  return segments;
}

/** The steps of a branch's path or default, or undefined. */
function childList(step: Step | undefined, container: Container): Step[] | undefined {
  if (!step || step.action !== 'branch') return undefined;
  return container.kind === 'path' ? step.paths[container.index]?.steps : step.default?.steps;
}

/** The list a path's last index points into, and that index. */
function locate(steps: Step[], path: string): { list: Step[]; index: number; parent: string | null } | undefined {
  const segments = parse(path);
  let list: Step[] | undefined = steps;
  let parent: string | null = null;
  let prefix = '';
  for (let i = 0; i < segments.length; i++) {
    const { index, container } = segments[i];
    if (!list) return undefined;
    if (!container) return { list, index, parent };
    parent = `${prefix}${index}`;
    prefix = `${parent}.${container.kind === 'path' ? `paths[${container.index}]` : 'default'}.`;
    list = childList(list[index], container);
  }
  return undefined;
}

/** The step at a path, or undefined. */
export function stepAt(steps: Step[], path: string): Step | undefined {
  const at = locate(steps, path);
  return at ? at.list[at.index] : undefined;
}

/** The first step to run, or null for an empty list. */
export function firstPath(steps: Step[]): string | null {
  return steps.length ? '0' : null;
}

/** Where a run goes after the step at `path` finished: its next sibling, else after its enclosing branch; null at the end. */
export function nextPath(steps: Step[], path: string): string | null {
  const at = locate(steps, path);
  if (!at) return null;
  if (at.index + 1 < at.list.length) return path.replace(/\d+$/, String(at.index + 1));
  return at.parent === null ? null : nextPath(steps, at.parent);
}

/** The first step inside a branch's chosen path (`paths[i]` or `default`), or what follows the branch when it is empty. */
export function enterPath(steps: Step[], branchPath: string, container: string): string | null {
  const inside = `${branchPath}.${container}.0`;
  return stepAt(steps, inside) ? inside : nextPath(steps, branchPath);
}
