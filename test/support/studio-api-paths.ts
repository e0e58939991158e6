import * as fs from 'node:fs';
import * as path from 'node:path';

export interface StudioApiCall {
  file: string;
  line: number;
  /** GET, POST, ... when the literal is the path argument of get/post/put/del/api('METHOD', ...). */
  method?: string;
  /** The literal with each `${...}` as `{}`. */
  path: string;
}

const STUDIO = path.resolve(__dirname, '../../studio');

/** Every string or template literal in studio/**\/*.js that starts with one of the API's first path segments. */
export function studioApiCalls(prefixes: Set<string>, root = STUDIO): StudioApiCall[] {
  const out: StudioApiCall[] = [];
  for (const file of jsFiles(root)) {
    const source = fs.readFileSync(file, 'utf8');
    for (const { start, text } of literals(source)) {
      const segment = /^\/([A-Za-z0-9_-]+)(?:[/?]|$)/.exec(text)?.[1];
      if (!segment || !prefixes.has(segment)) continue;
      const before = source.slice(Math.max(0, start - 40), start);
      const method = /\b(get|post|put|del)\(\s*$/.exec(before)?.[1] ?? /\bapi\(\s*['"](\w+)['"]\s*,\s*$/.exec(before)?.[1];
      out.push({
        file: path.relative(root, file),
        line: source.slice(0, start).split('\n').length,
        method: method && ({ get: 'GET', post: 'POST', put: 'PUT', del: 'DELETE' }[method] ?? method.toUpperCase()),
        path: text.split('?')[0],
      });
    }
  }
  return out;
}

function jsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return jsFiles(full);
    return e.name.endsWith('.js') ? [full] : [];
  });
}

/** String and template literals (interpolations as `{}`), skipping comments. A small scanner, enough for the Studio's plain ES modules. */
function literals(source: string): Array<{ start: number; text: string }> {
  const out: Array<{ start: number; text: string }> = [];
  let i = 0;
  const readTemplate = (): string => {
    let text = '';
    i++; // opening backtick
    while (i < source.length && source[i] !== '`') {
      if (source[i] === '\\') { text += source.slice(i, i + 2); i += 2; continue; }
      if (source[i] === '$' && source[i + 1] === '{') {
        let depth = 1;
        i += 2;
        while (i < source.length && depth) {
          if (source[i] === '`') readTemplate();
          else if (source[i] === "'" || source[i] === '"') readQuoted();
          else if (source[i] === '{') depth++;
          else if (source[i] === '}') depth--;
          i++;
        }
        text += '{}';
        continue;
      }
      text += source[i++];
    }
    return text;
  };
  const readQuoted = (): string => {
    const quote = source[i++];
    let text = '';
    while (i < source.length && source[i] !== quote && source[i] !== '\n') {
      if (source[i] === '\\') { text += source[i + 1]; i += 2; continue; }
      text += source[i++];
    }
    return text;
  };
  while (i < source.length) {
    const c = source[i];
    if (c === '/' && source[i + 1] === '/') { i = source.indexOf('\n', i); if (i < 0) break; continue; }
    if (c === '/' && source[i + 1] === '*') { i = source.indexOf('*/', i + 2); if (i < 0) break; i += 2; continue; }
    if (c === '`') { const start = i; out.push({ start, text: readTemplate() }); i++; continue; }
    if (c === "'" || c === '"') { const start = i; out.push({ start, text: readQuoted() }); i++; continue; }
    i++;
  }
  return out;
}
