// A form for one step, generated from its action's JSON Schema (GET /automations/step-schema,
// emitted by zod from the schema the API validates with). Each field: its label, its help
// (the schema's description), and Herald's validation errors for it.
import { useEffect, useState } from 'preact/hooks';
import { html } from './ui.js';

/** Fields drawn by the flow itself, not edited in the form. */
const DRAWN = new Set(['action', 'paths', 'default']);
const CONDITIONS = new Set(['if', 'match']);

const variants = (schema) => schema?.anyOf ?? schema?.oneOf ?? [schema ?? {}];
const types = (schema) => new Set(variants(schema).flatMap((v) => (Array.isArray(v.type) ? v.type : v.type ? [v.type] : [])));

/** How a field is edited: enum, number, boolean, condition, text (strings and `$ref`s), or json. */
export function fieldKind(name, schema) {
  if (CONDITIONS.has(name)) return 'condition';
  const t = types(schema);
  if (Array.isArray(schema?.enum)) return 'enum';
  if (t.has('integer') && t.size === 1) return 'integer';
  if (t.has('number') && t.size === 1) return 'number';
  if (t.has('boolean') && t.size === 1) return 'boolean';
  if (t.has('string')) return 'text';
  return 'json';
}

/** What a text box shows for a value. */
function shown(kind, value) {
  if (value === undefined) return '';
  if (kind === 'condition' || kind === 'text') return typeof value === 'string' ? value : JSON.stringify(value);
  if (kind === 'json') return JSON.stringify(value, null, 2);
  return String(value);
}

/** Reads a text box back: '' removes the field; JSON where it parses and the field takes it. Throws on bad JSON. */
export function readField(kind, text, schema) {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  switch (kind) {
    case 'integer':
    case 'number': {
      const n = Number(trimmed);
      if (!Number.isFinite(n)) throw new Error('must be a number');
      return n;
    }
    case 'condition':
      // An expression is a string; [path, op, value], { AND: [...] } and true/false are JSON.
      if (/^[[{]/.test(trimmed) || trimmed === 'true' || trimmed === 'false') {
        try {
          return JSON.parse(trimmed);
        } catch {
          return text;
        }
      }
      return text;
    case 'text':
      if (types(schema).has('number') && /^-?\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
      if (trimmed.startsWith('{')) {
        try {
          return JSON.parse(trimmed);
        } catch {
          return text;
        }
      }
      return text;
    case 'json':
      try {
        return JSON.parse(trimmed);
      } catch (err) {
        throw new Error(`not valid JSON: ${err.message}`);
      }
    default:
      return text;
  }
}

function Field({ id, name, schema, required, value, errors, onChange }) {
  const kind = fieldKind(name, schema);
  const [text, setText] = useState(shown(kind, value));
  const [local, setLocal] = useState(null);
  // A change from elsewhere (undo, the JSON tab) shows here.
  useEffect(() => setText(shown(kind, value)), [JSON.stringify(value)]);
  const helpId = `${id}-help`;
  const errId = `${id}-error`;
  const problems = [...(local ? [local] : []), ...errors];
  const described = [schema?.description && helpId, problems.length && errId].filter(Boolean).join(' ') || undefined;
  const commit = (raw) => {
    try {
      const next = readField(kind, raw, schema);
      setLocal(null);
      onChange(next);
    } catch (err) {
      setLocal(err.message);
    }
  };
  let input;
  if (kind === 'enum') {
    input = html`<select id=${id} aria-describedby=${described} aria-invalid=${problems.length > 0}
      value=${value ?? ''} onChange=${(e) => onChange(e.currentTarget.value === '' ? undefined : e.currentTarget.value)}>
      ${!required && html`<option value="">${schema.default !== undefined ? `(default: ${schema.default})` : '(none)'}</option>`}
      ${schema.enum.map((v) => html`<option value=${v}>${v}</option>`)}
    </select>`;
  } else if (kind === 'boolean') {
    input = html`<input id=${id} type="checkbox" checked=${value === true} aria-describedby=${described} onChange=${(e) => onChange(e.currentTarget.checked)} />`;
  } else if (kind === 'json') {
    input = html`<textarea id=${id} rows="4" spellcheck="false" aria-describedby=${described} aria-invalid=${problems.length > 0}
      value=${text} onInput=${(e) => setText(e.currentTarget.value)} onBlur=${(e) => commit(e.currentTarget.value)}></textarea>`;
  } else {
    input = html`<input id=${id} type=${kind === 'integer' || kind === 'number' ? 'number' : 'text'} spellcheck="false"
      aria-describedby=${described} aria-invalid=${problems.length > 0} value=${text}
      onInput=${(e) => { setText(e.currentTarget.value); commit(e.currentTarget.value); }} />`;
  }
  return html`<div class=${`field${problems.length ? ' has-error' : ''}`} data-field=${name}>
    <label for=${id}>${name}${required ? html` <span class="hint">(required)</span>` : ''}</label>
    ${input}
    ${schema?.description && html`<div class="hint" id=${helpId}>${schema.description}</div>`}
    ${problems.length > 0 && html`<div class="step-error" id=${errId} role="alert">${problems.join('; ')}</div>`}
  </div>`;
}

/**
 * The form for `step` under `schema` (one action's JSON Schema). `problems`: [{ field, message }]
 * for this step; a problem with no field shows above the fields.
 */
export function SchemaForm({ idPrefix, schema, step, problems = [], onChange }) {
  const properties = Object.entries(schema?.properties ?? {}).filter(([name]) => !DRAWN.has(name));
  const required = new Set(schema?.required ?? []);
  // Required fields first, then the step's own, then the common ones (if, ref, data, profile).
  const COMMON = ['if', 'ref', 'data', 'profile'];
  properties.sort(([a], [b]) => (COMMON.includes(a) - COMMON.includes(b)) || (required.has(b) - required.has(a)));
  const forField = (name) => problems.filter((p) => p.field === name || p.field?.startsWith(`${name}.`) || p.field?.startsWith(`${name}[`));
  const known = new Set(properties.map(([n]) => n));
  const general = problems.filter((p) => !p.field || ![...known].some((n) => p.field === n || p.field.startsWith(`${n}.`) || p.field.startsWith(`${n}[`)));
  return html`<div class="schema-form">
    ${general.map((p) => html`<div class="step-error" role="alert">${p.field ? `${p.field}: ` : ''}${p.message}</div>`)}
    ${properties.map(([name, fieldSchema]) => html`<${Field} key=${name} id=${`${idPrefix}-${name}`} name=${name} schema=${fieldSchema}
      required=${required.has(name)} value=${step?.[name]} errors=${forField(name).map((p) => p.message)}
      onChange=${(value) => {
        const next = { ...step };
        if (value === undefined) delete next[name];
        else next[name] = value;
        onChange(next);
      }} />`)}
  </div>`;
}
