// The workbench page: plain JavaScript over the JSON routes of odoo_connector/workbench/server.py.
// Everything it draws comes from /api/describe (the manifest as a platform imports it): the
// connection form from the connection fields, each unit's form from its input JSON Schema through
// JSON Forms (window.WorkbenchForms, built from ../frontend), the pickers from x-dataSource.
'use strict';

const token = new URLSearchParams(window.location.search).get('token') || '';
const state = {
  manifest: null, units: {}, connection: null, connectionVersion: 0, current: null, form: null, options: {},
  // inputs whose JSON text does not parse: path -> {label, message}; while any, Run is blocked
  invalid: new Map(),
  // "model id" -> a record's name seen in a read (an update's prefilled many2one), for its picker
  labels: new Map(),
  preview: 0,
};

async function api(path, payload) {
  const init = { headers: { 'X-Workbench-Token': token } };
  if (payload !== undefined) {
    init.method = 'POST';
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(payload);
  }
  const response = await fetch(path, init);
  if (!response.ok) throw new Error((await response.text()) || response.statusText);
  return response.json();
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

// The connection documentation is markdown; this shows paragraphs, "- " lists, **bold** and
// `code`, built as text nodes (the manifest's text never becomes HTML).
function inline(target, text) {
  for (const part of text.replace(/\s+/g, ' ').trim().split(/(\*\*[^*]+\*\*|`[^`]+`)/)) {
    if (part.startsWith('**') && part.endsWith('**') && part.length > 4) target.append(el('strong', { text: part.slice(2, -2) }));
    else if (part.startsWith('`') && part.endsWith('`') && part.length > 2) target.append(el('code', { text: part.slice(1, -1) }));
    else target.append(part);
  }
  return target;
}

function markdown(text) {
  const box = el('div');
  let paragraph = [];
  let list = null;
  let item = null;
  const flush = () => {
    if (paragraph.length) box.append(inline(el('p'), paragraph.join(' ')));
    paragraph = [];
    if (item) list.append(inline(el('li'), item.join(' ')));
    if (list) box.append(list);
    list = null;
    item = null;
  };
  for (const line of text.split('\n')) {
    if (!line.trim()) { flush(); continue; }
    const bullet = line.match(/^\s*- (.*)$/);
    if (bullet) {
      if (paragraph.length) { box.append(inline(el('p'), paragraph.join(' '))); paragraph = []; }
      if (item) list.append(inline(el('li'), item.join(' ')));
      list = list || el('ul');
      item = [bullet[1]];
    } else if (item && /^\s/.test(line)) {
      item.push(line);
    } else {
      if (item) { list.append(inline(el('li'), item.join(' '))); box.append(list); list = null; item = null; }
      paragraph.push(line);
    }
  }
  flush();
  return box;
}

function showError(box, error) {
  box.hidden = false;
  box.className = 'result error';
  // replaceChildren writes a null child as the text "null": only the parts this error has
  box.replaceChildren(...[
    el('div', { class: 'error-type', text: error.type }),
    el('div', { class: 'error-message', text: error.message }),
    error.hint ? el('div', { class: 'error-hint', text: 'Hint: ' + error.hint }) : null,
    error.path ? el('div', { class: 'error-path', text: 'Input: ' + error.path }) : null,
    // a batch action that stopped: which rows it wrote before (their ids), so none is sent twice
    error.report ? el('div', { class: 'error-report' },
      el('div', { text: 'What was written before the error (report):' }),
      el('pre', { id: 'error-report', text: JSON.stringify(error.report, null, 2) })) : null,
  ].filter((part) => part !== null));
}

// -- connection --------------------------------------------------------------------------------

function connectionSpec(key) {
  return state.manifest.connections.find((c) => c.key === key);
}

// The picklist that fills a connection field, as the manifest's shared `context` declares it for
// the inputs of the same name (companyId ← selectCompany, language ← selectLanguage).
function connectionPicklist(key) {
  for (const unit of Object.values(state.units)) {
    const context = (unit.inputs.properties || {}).context;
    const prop = context && context.properties && context.properties[key];
    if (prop && prop['x-dataSource']) return prop['x-dataSource'];
  }
  return null;
}

// Once a connection is saved (a picklist needs one to run), a field a picklist fills is a select
// of its options, the saved value chosen; before that it is text, saying so.
function pickConnectionField(input, field, value) {
  const source = connectionPicklist(field.key);
  if (!source) return input;
  if (!state.connection || !state.connection.type) {
    input.placeholder = (input.placeholder ? input.placeholder + '; ' : '') + 'a list once the connection is saved';
    return input;
  }
  const select = el('select', { id: input.id, name: field.key },
    el('option', { value: '', text: '— the user\'s default —' }));
  if (value !== undefined) select.append(el('option', { value: String(value), text: String(value) }));
  select.value = value === undefined ? '' : String(value);
  api('/api/run', { key: source, inputs: {} }).then((answer) => {
    if (answer.error) return;
    for (const option of answer.result.data) {
      const existing = [...select.options].find((o) => o.value === option.key);
      if (existing) existing.textContent = option.label;
      else select.append(el('option', { value: option.key, text: option.label }));
    }
  }, () => {});
  return select;
}

function drawConnectionForm() {
  const kind = document.getElementById('connection-type').value;
  const spec = connectionSpec(kind);
  const saved = state.connection && state.connection.type === kind ? state.connection : { fields: {}, secretsSet: [] };
  document.getElementById('connection-description').textContent = spec.description;
  const deprecated = document.getElementById('connection-deprecated');
  deprecated.hidden = !spec.deprecated;
  deprecated.textContent = spec.deprecated ? 'Deprecated: ' + (spec.deprecationMessage || '') : '';
  document.getElementById('connection-doc-text').replaceChildren(markdown(spec.documentation || ''));
  const fields = document.getElementById('connection-fields');
  fields.replaceChildren();
  for (const field of spec.fields) {
    const id = 'conn-' + field.key;
    const isSet = field.secret && saved.secretsSet.includes(field.key);
    const value = saved.fields[field.key];
    let placeholder = field.example !== null && field.example !== undefined ? 'e.g. ' + field.example : '';
    if (field.default !== null && field.default !== undefined) placeholder = 'default ' + field.default;
    if (isSet) placeholder = 'saved on the server; leave empty to keep it';
    const input = el('input', {
      id,
      name: field.key,
      type: field.secret || field.type === 'password' ? 'password' : field.type === 'integer' ? 'number' : 'text',
      placeholder,
      required: field.required && !isSet,
      autocomplete: field.secret ? 'new-password' : 'off',
    });
    if (!field.secret && value !== undefined) input.value = String(value);
    fields.append(el('div', { class: 'conn-field', 'data-field': field.key },
      el('label', { for: id, text: field.label + (field.required ? ' *' : '') }),
      pickConnectionField(input, field, saved.type === kind ? value : undefined),
      el('div', { class: 'input-description', text: field.description }),
      el('div', { class: 'wb-error', id: id + '-error' }),
    ));
  }
}

async function saveConnection(event) {
  event.preventDefault();
  const kind = document.getElementById('connection-type').value;
  const fields = {};
  for (const field of connectionSpec(kind).fields) {
    const input = document.getElementById('conn-' + field.key);
    fields[field.key] = input.value;
    if (field.secret) input.value = ''; // the page keeps no secret once it is sent
    document.getElementById('conn-' + field.key + '-error').textContent = '';
  }
  const box = document.getElementById('connection-result');
  box.hidden = false;
  box.className = 'result';
  box.textContent = 'Saving…';
  const saved = await api('/api/connection', { type: kind, fields });
  if (saved.error) {
    showError(box, saved.error);
    const slot = saved.error.path && document.getElementById('conn-' + saved.error.path + '-error');
    if (slot) slot.textContent = saved.error.message;
    return;
  }
  state.connection = saved;
  state.connectionVersion += 1;
  state.options = {};
  drawConnectionForm();
  box.textContent = 'Testing the connection…';
  const checked = await api('/api/check', {});
  if (checked.error) {
    showError(box, checked.error);
  } else {
    const r = checked.result;
    box.className = 'result ok';
    box.replaceChildren(
      el('div', { class: 'ok-title', text: 'Connected' }),
      el('dl', {},
        el('dt', { text: 'Odoo version' }), el('dd', { id: 'check-version', text: String(r.server.version) }),
        el('dt', { text: 'Database' }), el('dd', { id: 'check-database', text: String(r.database) }),
        el('dt', { text: 'User' }), el('dd', { id: 'check-user', text: `${r.user.name} (${r.user.login}, id ${r.user.id})` }),
        el('dt', { text: 'URL' }), el('dd', { text: r.url }),
      ),
    );
  }
  if (state.current) selectUnit(state.current.key); // the pickers reload against the new connection
}

// -- units -------------------------------------------------------------------------------------

const GROUPS = [['actions', 'Actions'], ['dataSources', 'Data sources (picklists)'], ['triggers', 'Triggers']];

function drawUnitList() {
  const nav = document.getElementById('unit-list');
  for (const [group, title] of GROUPS) {
    const list = el('ul');
    for (const unit of state.manifest[group]) {
      unit.group = group;
      state.units[unit.key] = unit;
      const button = el('button', { type: 'button', class: 'unit-button', 'data-key': unit.key, title: unit.description },
        el('span', { class: 'unit-label', text: unit.label }),
        el('span', { class: 'unit-key', text: unit.key }),
        el('span', { class: 'unit-summary', text: unit.description }));
      button.addEventListener('click', () => selectUnit(unit.key));
      list.append(el('li', {}, button));
    }
    nav.append(el('div', { class: 'unit-group' }, el('h3', { text: title }), list));
  }
  // the filter box: units whose label, key or description holds every word typed
  document.getElementById('unit-filter').addEventListener('input', (event) => {
    const words = event.target.value.toLowerCase().split(/\s+/).filter(Boolean);
    for (const button of nav.querySelectorAll('.unit-button')) {
      const text = button.textContent.toLowerCase();
      button.parentElement.hidden = !words.every((word) => text.includes(word));
    }
    for (const group of nav.querySelectorAll('.unit-group')) {
      group.hidden = !group.querySelector('li:not([hidden])');
    }
  });
}

function valueMissing(value) {
  return value === undefined || value === null || value === '';
}

// The inputs a data source is run with: the ones given as constants (`x-dataSourceInputs`, e.g. the
// related model of a many2one in a model's form), then each input it requires taken from the
// form's input of the same name (selectRecordById's model is the form's model).
function sourceInputs(dataSource, names, root, constants) {
  const source = state.units[dataSource];
  if (!state.connection || !state.connection.type) return { waitingFor: 'Save a connection first.' };
  if (!source) return { waitingFor: `Unknown data source ${dataSource}.` };
  const inputs = { ...(constants || {}) };
  const missing = [];
  for (const name of names || source.inputs.required || []) {
    if (name in inputs) continue;
    const value = root ? root[name] : undefined;
    if (valueMissing(value)) missing.push((source.inputs.properties[name] || {}).title || name);
    else inputs[name] = value;
  }
  if (missing.length) return { waitingFor: `Choose ${missing.join(', ')} first.` };
  return { inputs };
}

// Runs a data source once per connection and inputs; the promise is shared by every input using it.
function cached(dataSource, inputs, read) {
  const key = `${state.connectionVersion} ${dataSource} ${JSON.stringify(inputs)}`;
  return {
    key,
    load() {
      if (!state.options[key]) {
        state.options[key] = api('/api/run', { key: dataSource, inputs }).then((answer) => {
          if (answer.error) {
            delete state.options[key];
            throw new Error(`${answer.error.type}: ${answer.error.message}`);
          }
          return read(answer.result);
        });
      }
      return state.options[key];
    },
  };
}

// How a picker (x-dataSource) gets its options: the data source run with the typed text in its
// `x-search` input (a search on the server: a record created a minute ago is found past the first
// page) and a limit of one page more per "More results". A data source without a search input
// (the user's companies, the active languages) is short, so its list is filtered here.
const PAGE = 20;

function optionsFor(path, dataSource, root, constants, query) {
  const found = sourceInputs(dataSource, null, root, constants);
  if (found.waitingFor) return { key: `wait ${dataSource} ${found.waitingFor}`, waitingFor: found.waitingFor };
  const source = state.units[dataSource];
  const properties = source.inputs.properties || {};
  const search = (query && query.search) || '';
  const pages = (query && query.pages) || 1;
  const inputs = { ...found.inputs };
  const searchInput = Object.keys(properties).find((name) => properties[name]['x-search']);
  if (searchInput && search) inputs[searchInput] = search;
  if (properties.limit) inputs.limit = PAGE * pages;
  return cached(dataSource, inputs, (result) => {
    let options = result.data;
    let truncated = !!result.truncated;
    if (!searchInput && search) {
      const wanted = search.toLowerCase();
      options = options.filter((o) => `${o.label} ${o.key}`.toLowerCase().includes(wanted));
    }
    if (!properties.limit && options.length > PAGE * pages) {
      options = options.slice(0, PAGE * pages);
      truncated = true;
    }
    return { options, truncated };
  });
}

// How an input described by a data source (x-dynamicSchema: {dataSource, dependsOn, inputs?}) gets
// its {schema, uischema}: the data source runs with the inputs it depends on, from this form.
function dynamicSchema(spec, root) {
  const found = sourceInputs(spec.dataSource, spec.dependsOn || null, root, spec.inputs);
  if (found.waitingFor) return { key: `wait ${spec.dataSource} ${found.waitingFor}`, waitingFor: found.waitingFor };
  return cached(spec.dataSource, found.inputs, (result) => result.data);
}

// The inputs' declared defaults, filled in from the start: the form then shows what will run
// (an unchecked box whose default is true would say the opposite of what invoke does).
function defaults(schema) {
  const data = {};
  for (const [name, prop] of Object.entries(schema.properties || {})) {
    if (prop.default !== undefined) data[name] = JSON.parse(JSON.stringify(prop.default));
  }
  return data;
}

function formSchema(schema) {
  const copy = JSON.parse(JSON.stringify(schema));
  delete copy.$schema; // JSON Forms' validator is draft-07; the server validates anyway (invoke)
  return copy;
}

// Which inputs a change of another input makes stale: an input drawn from a data source
// (x-dynamicSchema) belongs to the inputs it depends on (the model's form to the model), a picked
// value to the inputs its data source requires (a record id to its model). name -> [dependents]
function dependents(unit) {
  const map = {};
  const add = (on, name) => { (map[on] = map[on] || []).push(name); };
  for (const [name, prop] of Object.entries(unit.inputs.properties || {})) {
    const spec = prop['x-dynamicSchema'];
    for (const on of (spec && spec.dependsOn) || []) add(on, name);
    const picked = prop['x-dataSource'] || (prop.items && prop.items['x-dataSource']);
    const source = picked && state.units[picked];
    const constants = prop['x-dataSourceInputs'] || (prop.items && prop.items['x-dataSourceInputs']) || {};
    for (const on of (source && source.inputs.required) || []) if (!(on in constants) && on !== name) add(on, name);
  }
  return map;
}

// updateRecord's form prefilled with the record's values (D9): once a model and a record are
// chosen, the fields of the form's main group are read (getRecordById) and put in the form, where
// the person sees, changes or removes them; a many2one keeps its name for the picker. Lines (a
// one2many) are not: the form's lines are new lines.
function prefillSpec(unit) {
  const props = unit.inputs.properties || {};
  const name = Object.keys(props).find((n) => {
    const spec = props[n]['x-dynamicSchema'];
    return spec && spec.inputs && spec.inputs.purpose === 'update';
  });
  return name && props.recordId ? { name, spec: props[name]['x-dynamicSchema'] } : null;
}

function prefill(unit, prefilled, recordId) {
  const found = prefillSpec(unit);
  const root = state.form.getData();
  const form = dynamicSchema(found.spec, root);
  if (form.waitingFor) return;
  form.load().then(async ({ schema, uischema }) => {
    const main = uischema.elements.filter((e) => e.type === 'Control').map((e) => e.scope.split('/').pop())
      .filter((n) => schema.properties[n] && !schema.properties[n]['x-lineForm']);
    const answer = await api('/api/run', { key: 'getRecordById', inputs: { model: root.model, recordId, fields: main } });
    const now = state.form.getData();
    if (answer.error || now.recordId !== recordId || now.model !== root.model || state.current !== unit) return;
    const values = {};
    for (const n of main) {
      let value = answer.result.data[n];
      if (value === undefined || (value === false && schema.properties[n].type !== 'boolean')) continue;
      const relation = schema.properties[n]['x-relation'];
      if (Array.isArray(value) && schema.properties[n].type === 'integer') {
        state.labels.set(`${relation} ${value[0]}`, value[1]);
        value = value[0];
      }
      values[n] = value;
    }
    prefilled.recordId = recordId;
    state.form.setData({ ...now, [found.name]: values });
  }, () => {});
}

// Called with the form's data before and after each change: when an input changed, the values of
// the inputs that depended on it are cleared, so nothing chosen for the old model is sent (D3).
function clearStale(unit) {
  const map = dependents(unit);
  const update = prefillSpec(unit);
  const prefilled = { recordId: null };
  return (previous, next) => {
    if (update && next.recordId && next.model && next.recordId !== prefilled.recordId && next.recordId !== previous.recordId) {
      prefill(unit, prefilled, next.recordId);
    }
    let fixed = next;
    for (const [on, names] of Object.entries(map)) {
      if (JSON.stringify(previous[on]) === JSON.stringify(next[on])) continue;
      for (const name of names) {
        if (fixed[name] === undefined) continue;
        if (fixed === next) fixed = { ...next };
        delete fixed[name];
      }
    }
    return fixed;
  };
}

// Invalid JSON text in an input blocks Run, and the note under the buttons says which input and
// where in its text (D2): a broken domain must never run unfiltered.
function invalid(path, label, message) {
  if (message) state.invalid.set(path, { label, message });
  else state.invalid.delete(path);
  const blocked = state.invalid.size > 0;
  document.getElementById('unit-run').disabled = blocked;
  document.getElementById('unit-reset').disabled = blocked;
  const note = document.getElementById('unit-blocked');
  note.hidden = !blocked;
  note.replaceChildren(...[...state.invalid.values()].map(
    (problem) => el('div', { text: `Not sent: ${problem.label} is not valid JSON. ${problem.message.replace(/^Not valid JSON: /, '')}` }),
  ));
}

// The request the page will send, shown before Run: the inputs as JSON and the same run as a
// command line, which the server words (the one the run's answer carries).
function showRequest(inputs) {
  document.getElementById('unit-request').textContent = JSON.stringify(inputs, null, 2);
  const ticket = ++state.preview;
  const key = state.current.key;
  setTimeout(() => {
    if (ticket !== state.preview) return;
    api('/api/command', { key, inputs }).then((answer) => {
      if (ticket === state.preview) document.getElementById('unit-command').textContent = answer.command;
    }, () => {});
  }, 150);
}

// A result holding a file (getRecordPdf, downloadAttachment, exportRecords: `content` in base64
// with its name and type) gets a download link, and a preview where the browser shows that type.
function files(result) {
  const data = result && result.data;
  if (!data || typeof data !== 'object' || typeof data.content !== 'string') return [];
  const type = data.mimetype || data.mimeType || 'application/octet-stream';
  const name = data.fileName || data.name || 'download';
  let bytes;
  try {
    bytes = Uint8Array.from(atob(data.content), (c) => c.charCodeAt(0));
  } catch (e) {
    return [];
  }
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const parts = [el('p', {}, el('a', { href: url, download: name, id: 'unit-download', text: `Download ${name}` }),
    ` (${type}, ${bytes.length} bytes)`)];
  if (type === 'application/pdf') parts.push(el('iframe', { src: url, title: `Preview of ${name}`, class: 'wb-preview' }));
  else if (/^image\/(png|jpeg|gif|webp)$/.test(type)) parts.push(el('img', { src: url, alt: `Preview of ${name}`, class: 'wb-preview' }));
  return parts;
}

function selectUnit(key) {
  const unit = state.units[key];
  state.current = unit;
  for (const button of document.querySelectorAll('.unit-button')) {
    button.classList.toggle('selected', button.dataset.key === key);
  }
  document.getElementById('unit-empty').hidden = true;
  document.getElementById('unit-body').hidden = false;
  document.getElementById('unit-title').textContent = `${unit.label} (${unit.key})`;
  document.getElementById('unit-description').textContent = unit.description;
  document.getElementById('unit-run').textContent = unit.group === 'triggers' ? 'Poll once' : 'Run';
  // a trigger Odoo pushes to (a lifecycle) needs a subscription and a listener: a poll from here
  // always failed, so the page says how it runs instead (D7)
  const pushed = Boolean(unit.lifecycle);
  document.getElementById('unit-run').hidden = pushed;
  document.getElementById('unit-reset').hidden = unit.group !== 'triggers' || pushed;
  document.getElementById('unit-pushed').hidden = !pushed;
  if (pushed) {
    const example = (unit.inputs.examples || [{}])[0];
    document.getElementById('unit-pushed-command').textContent =
      `odoo-connector watch ${unit.key} --input '${JSON.stringify(example)}' ` +
      '--listen 127.0.0.1:8099 --public-url https://hooks.example.com/odoo';
  }
  document.getElementById('unit-example-output').textContent = JSON.stringify(unit.example, null, 2);
  document.getElementById('unit-output-schema').textContent = JSON.stringify(unit.output, null, 2);
  document.getElementById('unit-result').hidden = true;
  if (state.form) state.form.unmount();
  state.invalid.clear();
  invalid(null, null, null);
  const holder = document.getElementById('unit-form');
  const mountPoint = el('div');
  holder.replaceChildren(mountPoint);
  state.form = window.WorkbenchForms.mount(mountPoint, {
    schema: formSchema(unit.inputs),
    data: defaults(unit.inputs),
    picker: { optionsFor, dynamicSchema, invalid, labelFor: (relation, key) => state.labels.get(`${relation} ${key}`) },
    normalize: clearStale(unit),
    onChange: showRequest,
  });
  showRequest(defaults(unit.inputs));
}

async function runUnit(reset) {
  const unit = state.current;
  const box = document.getElementById('unit-result');
  if (state.invalid.size) return; // the note says which input and where
  const inputs = state.form.getData() || {};
  state.form.setErrors([]);
  box.hidden = false;
  box.className = 'result';
  box.textContent = 'Running…';
  const answer = await api('/api/run', { key: unit.key, inputs, reset: !!reset });
  document.getElementById('unit-command').textContent = answer.command;
  if (answer.error) {
    showError(box, answer.error);
    if (answer.error.path) {
      state.form.setErrors([{
        instancePath: '/' + answer.error.path.replace(/\[(\d+)\]/g, '.$1').split('.').join('/'),
        message: answer.error.message,
        keyword: 'connector',
        schemaPath: '',
        params: {},
      }]);
    }
    return;
  }
  box.className = 'result ok';
  if (unit.group === 'triggers' && answer.result && 'state' in answer.result) {
    // a poll shows the records it found; the state the server keeps between polls is there on
    // request, folded (D9)
    const { state: kept, ...shown } = answer.result;
    box.replaceChildren(
      el('pre', { id: 'unit-output', text: JSON.stringify(shown, null, 2) }),
      el('details', { id: 'unit-state-box' },
        el('summary', { text: 'The state kept for the next poll' }),
        el('pre', { id: 'unit-state', text: JSON.stringify(kept, null, 2) })),
    );
    return;
  }
  box.replaceChildren(el('pre', { id: 'unit-output', text: JSON.stringify(answer.result, null, 2) }), ...files(answer.result));
}

async function start() {
  state.manifest = await api('/api/describe');
  document.getElementById('manifest-name').textContent = `${state.manifest.label} connector ${state.manifest.version}`;
  const select = document.getElementById('connection-type');
  for (const conn of state.manifest.connections) {
    select.append(el('option', { value: conn.key, text: conn.label + (conn.deprecated ? ' (deprecated)' : '') }));
  }
  state.connection = await api('/api/connection');
  if (state.connection.type) select.value = state.connection.type;
  select.addEventListener('change', drawConnectionForm);
  drawUnitList(); // first: the connection form looks up the picklists of its fields in the units
  drawConnectionForm();
  document.getElementById('connection-form').addEventListener('submit', saveConnection);
  document.getElementById('unit-run').addEventListener('click', () => runUnit(false));
  document.getElementById('unit-reset').addEventListener('click', () => runUnit(true));
  document.getElementById('unit-example').addEventListener('click', () => {
    const example = (state.current.inputs.examples || [])[0];
    if (example) state.form.setData({ ...defaults(state.current.inputs), ...JSON.parse(JSON.stringify(example)) });
  });
  document.body.dataset.ready = 'true';
}

start().catch((error) => {
  document.body.prepend(el('p', { class: 'result error', text: 'The workbench could not start: ' + error.message }));
});
