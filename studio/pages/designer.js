// The automation designer: the flow drawn (lib/flow-view.js), a palette at every insert point,
// a side panel whose form comes from the step language's JSON Schema, keyboard moves, undo.
// The steps are plain JSON the whole time, so the JSON tab and the flow are the same value.
import { useEffect, useRef, useState } from 'preact/hooks';
import { get } from '../lib/api.js';
import { FlowView } from '../lib/flow-view.js';
import { drawingOrder, insertAt, listAt, moveWithin, newStep, removeAt, replaceAt, sideways, splitPath, stepAt, summarize } from '../lib/flow.js';
import { SchemaForm } from '../lib/schema-form.js';
import { ErrorBox, html, useLoad } from '../lib/ui.js';

let schemaRequest;
/** The step language's JSON Schema, read once per page load. */
export function useStepSchema() {
  return useLoad(() => (schemaRequest ??= get('/automations/step-schema').catch((err) => {
    schemaRequest = undefined;
    throw err;
  })), []);
}

const focusFirstField = () => document.querySelector('.step-panel input, .step-panel select, .step-panel textarea')?.focus();

/** A value with an undo and a redo stack (each `set` is one undoable change). */
export function useUndoable(initial) {
  const [state, setState] = useState({ value: initial, past: [], future: [] });
  return {
    value: state.value,
    set: (value) => setState((s) => ({ value, past: [...s.past.slice(-99), s.value], future: [] })),
    /** Replaces the value without a new undo entry (typing in the JSON tab). */
    replace: (value) => setState((s) => ({ ...s, value })),
    undo: () => setState((s) => (s.past.length ? { value: s.past[s.past.length - 1], past: s.past.slice(0, -1), future: [s.value, ...s.future] } : s)),
    redo: () => setState((s) => (s.future.length ? { value: s.future[0], past: [...s.past, s.value], future: s.future.slice(1) } : s)),
    canUndo: state.past.length > 0,
    canRedo: state.future.length > 0,
  };
}

/** Problems the schema alone can tell (a required field missing or empty), before any save. */
export function schemaProblems(steps, schemas) {
  const byPath = {};
  if (!schemas) return byPath;
  for (const { path } of drawingOrder(steps)) {
    const step = stepAt(steps, path);
    const schema = schemas[step?.action];
    if (!schema) {
      (byPath[path] ??= []).push({ field: 'action', message: `action must be one of ${Object.keys(schemas).join(', ')}` });
      continue;
    }
    for (const field of schema.required ?? []) {
      if (field === 'action') continue;
      const v = step[field];
      if (v === undefined || v === '') (byPath[path] ??= []).push({ field, message: `${field} is required` });
    }
  }
  return byPath;
}

function mergeProblems(a, b) {
  const out = { ...a };
  for (const [path, list] of Object.entries(b)) out[path] = [...(out[path] ?? []), ...list];
  return out;
}

/**
 * props: steps (an undoable from useUndoable), problems ({ path: [{ field, message }] } from the
 * last save), onEdited(path|null) (a change; null = the tree's shape changed).
 */
export function Designer({ steps, problems, onEdited }) {
  const schema = useStepSchema();
  const schemas = schema.data ? Object.fromEntries(schema.data.actions.map((a) => [a.action, a.schema])) : null;
  const actions = schema.data?.actions ?? [];
  const [selected, setSelected] = useState(null);
  const [inserting, setInserting] = useState(null);
  const [clipboard, setClipboard] = useState(null);
  const [notice, setNotice] = useState(null);
  const focusNode = useRef(false);
  const focusField = useRef(false);
  const value = steps.value;
  const current = selected !== null ? stepAt(value, selected) : undefined;
  const shown = mergeProblems(schemaProblems(value, schemas), problems ?? {});

  // A selection that no longer exists (undo, JSON edits) is dropped.
  useEffect(() => {
    if (selected !== null && stepAt(value, selected) === undefined) setSelected(null);
  }, [value, selected]);
  useEffect(() => {
    if (focusNode.current && selected !== null) document.querySelector(`[data-node-path="${CSS.escape(selected)}"]`)?.focus();
    if (focusField.current) focusFirstField();
    focusNode.current = false;
    focusField.current = false;
  });

  const change = (next, path = null, message = null) => {
    steps.set(next);
    onEdited?.(path);
    setNotice(message);
  };
  const select = (path, { focus = true } = {}) => {
    focusNode.current = focus;
    setSelected(path);
  };
  const insert = (list, index, step) => {
    change(insertAt(value, list, index, step), null, null);
    setInserting(null);
    focusField.current = true;
    setSelected(list ? `${list}.${index}` : String(index));
  };
  const remove = (path) => {
    const step = stepAt(value, path);
    if (!step) return;
    const order = drawingOrder(value).map((n) => n.path);
    const after = removeAt(value, path);
    change(after, null, { text: `Deleted ${step.action}${summarize(step) ? ` (${summarize(step)})` : ''}.`, undo: true });
    // Select what now sits in the removed step's place (or the one before it).
    const { list, index } = splitPath(path);
    const siblings = listAt(after, list) ?? [];
    const next = siblings[index] !== undefined ? path : siblings[index - 1] !== undefined ? (list ? `${list}.${index - 1}` : String(index - 1)) : order[order.indexOf(path) - 1] ?? null;
    select(next !== null && stepAt(after, next) ? next : null);
  };
  const move = (path, delta) => {
    const moved = moveWithin(value, path, delta);
    if (!moved) return;
    change(moved.steps, null);
    select(moved.path);
  };
  const copy = (path, cut = false) => {
    const step = stepAt(value, path);
    if (!step) return;
    setClipboard(structuredClone(step));
    if (cut) remove(path);
    else setNotice({ text: `Copied ${step.action}: paste it from any + in the flow.` });
  };
  const paste = (list, index) => clipboard && insert(list, index, clipboard);

  const onKeyDown = (e) => {
    if (e.target.closest('.flow-palette')) {
      if (e.key === 'Escape') {
        setInserting(null);
        e.preventDefault();
      }
      return;
    }
    const mod = e.ctrlKey || e.metaKey;
    if (mod && e.key.toLowerCase() === 'z') {
      e.preventDefault();
      if (e.shiftKey) steps.redo();
      else steps.undo();
      onEdited?.(null);
      return;
    }
    if (mod && e.key.toLowerCase() === 'y') {
      e.preventDefault();
      steps.redo();
      onEdited?.(null);
      return;
    }
    const path = e.target.dataset?.nodePath;
    if (path === undefined) return;
    const order = drawingOrder(value).map((n) => n.path);
    const at = order.indexOf(path);
    if (e.altKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
      e.preventDefault();
      move(path, e.key === 'ArrowUp' ? -1 : 1);
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const next = order[at + (e.key === 'ArrowDown' ? 1 : -1)];
      if (next !== undefined) select(next);
    } else if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      e.preventDefault();
      const next = sideways(value, path, e.key === 'ArrowLeft' ? -1 : 1);
      if (next !== null) select(next);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      // Already selected: the panel is drawn, so focus it now (no re-render would run the effect).
      if (selected === path) focusFirstField();
      else {
        focusField.current = true;
        setSelected(path);
      }
    } else if (e.key === 'Delete' || e.key === 'Backspace') {
      e.preventDefault();
      remove(path);
    } else if (mod && e.key.toLowerCase() === 'c') {
      e.preventDefault();
      copy(path);
    } else if (mod && e.key.toLowerCase() === 'x') {
      e.preventDefault();
      copy(path, true);
    } else if (mod && e.key.toLowerCase() === 'v' && clipboard) {
      e.preventDefault();
      const { list, index } = splitPath(path);
      paste(list, index + 1);
    }
  };

  const palette = () => html`<div class="flow-palette card" role="menu" aria-label="Add a step">
    <div class="palette-head"><strong>Add a step</strong><button type="button" class="small" onClick=${() => setInserting(null)}>Close</button></div>
    ${clipboard && html`<button type="button" role="menuitem" class="palette-item paste" data-palette="paste" onClick=${() => paste(inserting.list, inserting.index)}>
      <span class="palette-action">Paste ${clipboard.action}</span><span class="hint">${summarize(clipboard)}</span></button>`}
    ${actions.map((a) => html`<button type="button" role="menuitem" class="palette-item" data-palette=${a.action} onClick=${() => insert(inserting.list, inserting.index, newStep(a.action))}>
      <span class="palette-action">${a.action}</span><span class="hint">${a.description}</span></button>`)}
  </div>`;

  return html`<div class="designer">
    <div class="designer-canvas">
      <div class="designer-toolbar">
        <button type="button" class="small" onClick=${() => { steps.undo(); onEdited?.(null); }} disabled=${!steps.canUndo} aria-keyshortcuts="Control+Z">Undo</button>
        <button type="button" class="small" onClick=${() => { steps.redo(); onEdited?.(null); }} disabled=${!steps.canRedo} aria-keyshortcuts="Control+Shift+Z">Redo</button>
        <span class="hint">Arrows move between steps · Enter edits · Delete removes · Alt+↑/↓ moves · Ctrl+C / Ctrl+X / Ctrl+V copy, cut, paste</span>
      </div>
      ${notice && html`<div class="notice designer-notice" role="status">${notice.text}
        ${notice.undo && html` <button type="button" class="small" onClick=${() => { steps.undo(); setNotice(null); onEdited?.(null); }}>Undo</button>`}</div>`}
      <${ErrorBox} error=${schema.error} />
      <${FlowView} steps=${value} editable=${true} selected=${selected} problems=${shown}
        onSelect=${(p) => select(p, { focus: false })} onKeyDown=${onKeyDown}
        inserting=${inserting} onInsert=${(list, index) => setInserting(inserting?.list === list && inserting?.index === index ? null : { list, index })}
        renderPalette=${palette} label="Automation flow" />
    </div>
    <aside class="step-panel card" aria-label="Step">
      ${current === undefined
        ? html`<h2>Step</h2><p class="muted">Select a step to edit it, or add one with a <strong>+</strong> in the flow.</p>`
        : html`<${StepPanel} key=${`${selected}:${current?.action}`} path=${selected} step=${current} schemas=${schemas} actions=${actions}
            problems=${shown[selected] ?? []}
            onChange=${(next) => change(replaceAt(value, selected, next), selected)}
            onMove=${(delta) => move(selected, delta)} onCopy=${() => copy(selected)} onCut=${() => copy(selected, true)} onDelete=${() => remove(selected)} />`}
    </aside>
  </div>`;
}

function StepPanel({ path, step, schemas, actions, problems, onChange, onMove, onCopy, onCut, onDelete }) {
  const info = actions.find((a) => a.action === step?.action);
  const { list, index } = splitPath(path);
  return html`<div data-panel-path=${path}>
    <h2>${step?.action ?? 'Step'} <span class="hint mono">${path}</span></h2>
    ${info && html`<p class="hint">${info.description}</p>`}
    <div class="actions panel-actions">
      <button type="button" class="small" onClick=${() => onMove(-1)} disabled=${index === 0} aria-keyshortcuts="Alt+ArrowUp">Move up</button>
      <button type="button" class="small" onClick=${() => onMove(1)} aria-keyshortcuts="Alt+ArrowDown">Move down</button>
      <button type="button" class="small" onClick=${onCopy} aria-keyshortcuts="Control+C">Copy</button>
      <button type="button" class="small" onClick=${onCut} aria-keyshortcuts="Control+X">Cut</button>
      <button type="button" class="small danger" onClick=${onDelete} aria-keyshortcuts="Delete">Delete</button>
    </div>
    ${!schemas ? html`<p class="muted">Loading the step schema…</p>`
      : !schemas[step?.action] ? html`<div class="step-error">Unknown action ${JSON.stringify(step?.action)}: fix it in the JSON tab.</div>`
      : html`
        ${step.action === 'branch' && html`<${BranchPaths} step=${step} path=${path} problems=${problems} onChange=${onChange} />`}
        <${SchemaForm} idPrefix=${`step-${path.replace(/[^\w-]/g, '_')}`} schema=${schemas[step.action]} step=${step}
          problems=${step.action === 'branch' ? problems.filter((p) => !p.field?.startsWith('paths')) : problems} onChange=${onChange} />`}
    <p class="hint">In ${list ? html`<span class="mono">${list}</span>` : 'the main flow'}, position ${index + 1}.</p>
  </div>`;
}

/** A branch's paths: each one's condition, add and remove, and whether it has a default. */
function BranchPaths({ step, path, problems, onChange }) {
  const paths = step.paths ?? [];
  const set = (next) => onChange({ ...step, ...next });
  const idBase = `branch-${path.replace(/[^\w-]/g, '_')}`;
  return html`<fieldset class="plain branch-paths">
    <legend>Paths (the first whose condition holds is taken)</legend>
    ${paths.map((p, k) => {
      const errors = problems.filter((e) => e.field?.startsWith(`paths[${k}]`)).map((e) => e.message);
      const text = typeof p.if === 'string' ? p.if : JSON.stringify(p.if);
      return html`<div class=${`field${errors.length ? ' has-error' : ''}`} data-branch-path=${k}>
        <label for=${`${idBase}-${k}`}>Path ${k + 1} condition</label>
        <div class="copy-row">
          <input id=${`${idBase}-${k}`} type="text" spellcheck="false" value=${text ?? ''} aria-invalid=${errors.length > 0}
            onInput=${(e) => set({ paths: paths.map((q, j) => (j === k ? { ...q, if: e.currentTarget.value } : q)) })} />
          <button type="button" class="small" disabled=${paths.length <= 1} aria-label=${`Remove path ${k + 1}`}
            onClick=${() => set({ paths: paths.filter((_, j) => j !== k) })}>Remove</button>
        </div>
        ${errors.length > 0 && html`<div class="step-error" role="alert">${errors.join('; ')}</div>`}
      </div>`;
    })}
    <div class="actions">
      <button type="button" class="small" onClick=${() => set({ paths: [...paths, { if: 'true', steps: [] }] })}>Add path</button>
      <label class="check"><input type="checkbox" checked=${Boolean(step.default)}
        onChange=${(e) => {
          const next = { ...step };
          if (e.currentTarget.checked) next.default = { steps: [] };
          else delete next.default;
          onChange(next);
        }} /> Default path (when no condition holds)</label>
    </div>
  </fieldset>`;
}
