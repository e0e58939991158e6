// The flow drawing, top to bottom: one node per step, branch paths side by side joining below,
// wait-for with its two outcomes. Shared by the designer (editable: insert points, selection,
// errors at their node) and a run's page (read-only: each step's status and the path taken).
import { Badge, Time, html } from './ui.js';
import { branchColumns, conditionText, joinPath, listAt, summarize, valueText } from './flow.js';

/**
 * props: steps; editable; selected (a path); onSelect(path); onInsert(list, index) and
 * inserting ({ list, index }) with renderPalette() for the open insert point; problems
 * ({ path: [{ field, message }] }); run ({ records: { path: record }, wakesAt }) for a run.
 */
export function FlowView(props) {
  const { steps, onKeyDown, label = 'Flow' } = props;
  return html`<div class="flow" role="group" aria-label=${label} onKeyDown=${onKeyDown}>
    <div class="flow-terminal">Start</div>
    <${FlowList} ...${props} list="" steps=${steps} />
    <div class="flow-terminal">End</div>
  </div>`;
}

function FlowList(props) {
  const { steps, list, editable } = props;
  const items = listAt(steps, list) ?? [];
  return html`<ol class="flow-list" data-list=${list}>
    ${editable && html`<${InsertPoint} ...${props} index=${0} />`}
    ${items.map((step, i) => {
      const path = joinPath(list, i);
      return [
        html`<li class="flow-item" key=${path}>
          <${Node} ...${props} path=${path} step=${step} index=${i} />
          ${step?.action === 'branch' && html`<${Branch} ...${props} path=${path} step=${step} />`}
          ${step?.action === 'wait-for' && html`<${WaitOutcomes} ...${props} path=${path} step=${step} />`}
        </li>`,
        editable && html`<${InsertPoint} key=${`${path}+`} ...${props} index=${i + 1} />`,
      ];
    })}
    ${!items.length && !editable && html`<li class="flow-empty muted">no steps</li>`}
  </ol>`;
}

function InsertPoint({ list, index, onInsert, inserting, renderPalette }) {
  const open = inserting && inserting.list === list && inserting.index === index;
  return html`<li class="flow-insert-row">
    <button type="button" class=${`flow-insert${open ? ' open' : ''}`} data-insert=${`${list}|${index}`}
      aria-label=${`Add a step ${list ? `in ${list} ` : ''}at position ${index + 1}`} aria-expanded=${open}
      onClick=${() => onInsert(list, index)}>+</button>
    ${open && renderPalette()}
  </li>`;
}

/** The status a run gave a step (NOT PROCESSED when it never got there). */
const recordOf = (run, path) => run?.records?.[path] ?? { status: 'NOT PROCESSED' };

function Node({ path, step, selected, onSelect, problems, run, editable }) {
  const errors = problems?.[path] ?? [];
  const record = run && recordOf(run, path);
  const status = record?.status;
  const classes = ['flow-node', `action-${step?.action ?? 'unknown'}`];
  if (selected === path) classes.push('selected');
  if (errors.length) classes.push('has-error');
  if (status) classes.push(`run-${status.toLowerCase().replace(/\s+/g, '-')}`);
  const summary = summarize(step);
  const name = `Step ${path}: ${step?.action ?? 'no action'}${summary ? `, ${summary}` : ''}${status ? `, ${status}` : ''}`;
  return html`<div class="flow-node-wrap">
    <button type="button" class=${classes.join(' ')} data-node-path=${path} data-action=${step?.action} data-node-status=${status}
      aria-label=${name} aria-pressed=${editable ? selected === path : undefined} tabindex=${selected === path || (!selected && path === '0') ? 0 : -1}
      onClick=${() => onSelect?.(path)}>
      <span class="node-head"><span class="node-path mono">${path}</span><span class="node-action">${step?.action ?? '(no action)'}</span>
        ${step?.ref && html`<span class="node-ref mono">ref ${step.ref}</span>`}
        ${status && html`<${Badge} status=${status} />`}</span>
      ${summary && html`<span class="node-summary">${summary}</span>`}
      ${step?.if !== undefined && html`<span class="node-if mono">if ${conditionText(step.if)}</span>`}
    </button>
    ${record && html`<${RunDetail} record=${record} run=${run} />`}
    ${errors.length > 0 && html`<ul class="node-errors" data-errors-for=${path}>${errors.map((e) => html`<li class="step-error">${e.field ? html`<span class="mono">${e.field}</span>: ` : ''}${e.message}</li>`)}</ul>`}
  </div>`;
}

function RunDetail({ record, run }) {
  const parts = [];
  if (record.status === 'WAITING') parts.push(html`<span>wakes <${Time} value=${run.wakesAt ?? record.result?.timeout_at} /></span>`);
  else if (record.ended_at) parts.push(html`<span><${Time} value=${record.ended_at} /></span>`);
  if (record.message_id) parts.push(html`<span>message <a class="mono" data-message-link href=${`#/messages/${encodeURIComponent(record.message_id)}`}>${record.message_id}</a></span>`);
  if (!parts.length && !record.error) return null;
  return html`<div class="node-run">
    ${parts.map((p, i) => html`${i ? ' · ' : ''}${p}`)}
    ${record.error && html`<div class="step-error" data-step-error>${record.error}</div>`}
  </div>`;
}

function Branch(props) {
  const { path, step, run } = props;
  const record = run && recordOf(run, path);
  const taken = record?.result && 'path' in record.result ? record.result.path : undefined;
  return html`<div class="flow-branch" data-branch=${path}>
    ${branchColumns(step, path).map((c) => {
      const state = taken === undefined ? '' : taken === c.key ? ' taken' : ' untaken';
      return html`<div class=${`flow-column${state}`} data-column=${c.list}>
        <div class="column-label mono" title=${c.label}>${c.label}${state === ' taken' ? html` <span class="taken-mark">· taken</span>` : state === ' untaken' ? html` <span class="taken-mark">· not taken</span>` : ''}</div>
        <${FlowList} ...${props} list=${c.list} />
      </div>`;
    })}
  </div>
  <div class="flow-join" aria-hidden="true"></div>`;
}

function WaitOutcomes({ path, step, run }) {
  const record = run && recordOf(run, path);
  const matched = record?.status === 'PROCESSED' ? record.result?.matched : undefined;
  const cls = (yes) => `wait-outcome${matched === undefined ? '' : matched === yes ? ' taken' : ' untaken'}`;
  return html`<div class="flow-wait" data-wait=${path}>
    <span class=${cls(true)}>"${valueText(step.event)}" arrives</span>
    <span class=${cls(false)} data-timeout-path>timeout after ${valueText(step.timeout)}</span>
  </div>`;
}
