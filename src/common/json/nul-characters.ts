/**
 * The JSON path of the first string (key or value) holding a NUL character, which Postgres
 * cannot store in text or jsonb; undefined when there is none. Iterative, so depth costs no stack.
 */
export function firstNulPath(value: unknown, root: string): string | undefined {
  const stack: Array<[unknown, string]> = [[value, root]];
  while (stack.length) {
    const [v, at] = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return at;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${at}[${i}]`]);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (k.includes('\u0000')) return `${at} (a key)`;
        stack.push([child, `${at}.${k}`]);
      }
    }
  }
  return undefined;
}
