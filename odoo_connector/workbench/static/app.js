// The workbench page: plain JavaScript over the JSON routes of odoo_connector/workbench/server.py.
// Everything it draws comes from /api/describe (the manifest as a platform imports it): the
// connection form from the connection fields, each unit's form from its input JSON Schema through
// JSON Forms (window.WorkbenchForms, built from ../frontend), the pickers from x-dataSource.
'use strict';

const token = new URLSearchParams(window.location.search).get('token') || '';
const state = { manifest: null, units: {}, connection: null, connectionVersion: 0, current: null, form: null, options: {} };

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
      input,
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

// How a picker (x-dataSource) gets its options.
function optionsFor(path, dataSource, root, constants) {
  const found = sourceInputs(dataSource, null, root, constants);
  if (found.waitingFor) return { key: `wait ${dataSource} ${found.waitingFor}`, waitingFor: found.waitingFor };
  return cached(dataSource, found.inputs, (result) => ({ options: result.data, truncated: !!result.truncated }));
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
  document.getElementById('unit-command-box').hidden = true;
  if (state.form) state.form.unmount();
  const holder = document.getElementById('unit-form');
  const mountPoint = el('div');
  holder.replaceChildren(mountPoint);
  state.form = window.WorkbenchForms.mount(mountPoint, {
    schema: formSchema(unit.inputs),
    data: defaults(unit.inputs),
    picker: { optionsFor, dynamicSchema },
  });
}

async function runUnit(reset) {
  const unit = state.current;
  const box = document.getElementById('unit-result');
  const inputs = state.form.getData() || {};
  state.form.setErrors([]);
  box.hidden = false;
  box.className = 'result';
  box.textContent = 'Running…';
  const answer = await api('/api/run', { key: unit.key, inputs, reset: !!reset });
  document.getElementById('unit-command-box').hidden = false;
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
  box.replaceChildren(el('pre', { id: 'unit-output', text: JSON.stringify(answer.result, null, 2) }));
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
  drawConnectionForm();
  document.getElementById('connection-form').addEventListener('submit', saveConnection);
  drawUnitList();
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
