// The JSON Forms half of the workbench: @jsonforms/core, its React bindings and the vanilla
// renderers, plus renderers for what a connector's schemas need and vanilla lacks:
//  - DataSourceControl: an input whose schema names a picklist (`x-dataSource`) is a search box
//    over a list whose options the page loads by running that data source on the server (through
//    invoke), with the typed text in the data source's `x-search` input; the first page, "More
//    results" for the next, and the typed text itself (an id, a technical name) as an option. The
//    page says which other inputs the picklist depends on, and the options reload when they change.
//  - MultiPickerControl: a list input whose items name a picklist (a many2many's tags) is the
//    chosen options, each with a remove button, and the same search picker to add one.
//  - LinesControl: a list of objects with declared properties (a one2many's lines, described by
//    the line model's own form) is one sub-form per line, with "Add a line" and "Remove".
//  - SelectControl: an enum or oneOf input is a select whose options have text (vanilla's carry
//    only a label attribute, which assistive technology reads as empty).
//  - JsonTextControl: free-form values (an object without declared properties such as
//    createRecord's `parameters`, a domain, untyped values) are JSON text, parsed as you type;
//    text that does not parse is reported to the page, which then blocks Run and says where.
//  - DynamicSchemaRenderer: an input described by a data source (`x-dynamicSchema`, the chosen
//    model's form) is rendered from the {schema, uischema} that data source returns.
//  - FileControl: a file's base64 input (`x-file: true`) takes a file chooser.
//  - ObjectControl: an object input with declared properties (the shared `context`) is a group
//    of its own inputs; the vanilla set has no renderer for a nested object.
// Built by build.mjs into ../static/jsonforms.bundle.js; window.WorkbenchForms.mount is all the
// page (static/app.js, plain JavaScript) uses.
import React, { useEffect, useMemo, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { JsonForms, JsonFormsDispatch, withJsonFormsControlProps, withJsonFormsDetailProps, useJsonForms } from '@jsonforms/react';
import { vanillaCells, vanillaRenderers } from '@jsonforms/vanilla-renderers';
import { Actions, Generate, Resolve, and, isControl, isObjectControl, or, isEnumControl, isOneOfEnumControl, rankWith, schemaMatches } from '@jsonforms/core';

const PickerContext = React.createContext(null);

const simpleTypes = new Set(['string', 'integer', 'number', 'boolean']);

function isFreeForm(schema) {
  if (!schema || schema['x-dataSource'] || schema.enum || schema.const !== undefined) return false;
  const type = schema.type;
  if (Array.isArray(type)) return true;
  if (type === undefined) return !schema.properties;
  if (type === 'object') return !schema.properties || Object.keys(schema.properties).length === 0;
  if (type === 'array') {
    const items = schema.items;
    if (isPickedList(schema) || isLines(schema)) return false;
    return !items || Array.isArray(items.type) || !simpleTypes.has(items.type) || !!items.enum;
  }
  return false;
}

function isPickedList(schema) {
  return !!schema && schema.type === 'array' && !!schema.items && typeof schema.items['x-dataSource'] === 'string';
}

function isLines(schema) {
  const items = schema && schema.type === 'array' ? schema.items : null;
  return !!items && items.type === 'object' && !!items.properties && Object.keys(items.properties).length > 0;
}

function Field({ id, label, required, description, errors, visible, children }) {
  if (visible === false) return null;
  return (
    <div className={'control wb-control' + (errors ? ' has-error' : '')} id={id}>
      <label htmlFor={id + '-input'}>{label}{required ? ' *' : ''}</label>
      {children}
      <div className="validation wb-error">{errors}</div>
      {description ? <div className="input-description">{description}</div> : null}
    </div>
  );
}

// The options of a picker: the data source run with the typed text (debounced), one page more per
// "More results". `picker.optionsFor` (static/app.js) knows which inputs the data source takes.
function usePickerOptions(path, schema, search, pages) {
  const picker = React.useContext(PickerContext);
  const root = useJsonForms().core.data;
  const request = picker.optionsFor(path, schema['x-dataSource'], root, schema['x-dataSourceInputs'], { search, pages });
  const [state, setState] = useState({ loading: false, options: [], truncated: false, message: '' });
  useEffect(() => {
    let cancelled = false;
    if (request.waitingFor) {
      setState({ loading: false, options: [], truncated: false, message: request.waitingFor });
      return undefined;
    }
    setState((s) => ({ ...s, loading: true, message: 'Loading…' }));
    request.load().then(
      (result) => {
        if (cancelled) return;
        const note = result.truncated ? 'The first ' + result.options.length + ' are listed; type to search, or ask for more.' : '';
        setState({ loading: false, options: result.options, truncated: result.truncated, message: note });
      },
      (error) => {
        if (!cancelled) setState({ loading: false, options: [], truncated: false, message: String(error.message || error) });
      },
    );
    return () => { cancelled = true; };
  }, [request.key]);
  return state;
}

function useDebounced(value, delay) {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delay);
    return () => clearTimeout(timer);
  }, [value]);
  return settled;
}

// A search box and the list it narrows. `value` is the chosen key ('' for none); `onPick(key)`
// gets the key as a string (or '' when cleared); `labels` (a ref's Map) keeps the label of every
// option seen, so a choice keeps its name when a later search no longer lists it.
function Picker({ id, path, label, schema, value, onPick, enabled, labels, exclude }) {
  const picker = React.useContext(PickerContext);
  // a value the page read with its name (an update's prefilled many2one) shows that name
  const seen = (s, key) => (picker.labelFor ? picker.labelFor(s['x-relation'], key) : undefined);
  const [search, setSearch] = useState('');
  const [pages, setPages] = useState(1);
  const settled = useDebounced(search.trim(), 250);
  useEffect(() => setPages(1), [settled]);
  const state = usePickerOptions(path, schema, settled, pages);
  for (const o of state.options) labels.current.set(o.key, o.label);
  const integer = schema.type === 'integer' || schema.type === 'number';
  const typed = settled !== '' && (!integer || /^\d+$/.test(settled)) && !state.options.some((o) => o.key === settled)
    ? { key: settled, label: (integer ? 'id ' : '') + settled + ' (as typed)' } : null;
  const shown = state.options.filter((o) => !(exclude || []).includes(o.key));
  const known = value === '' || shown.some((o) => o.key === value) || (typed && typed.key === value);
  return (
    <div className="wb-picker-box">
      <input
        type="search"
        className="wb-picker-search"
        aria-label={'Search ' + label}
        placeholder={'Search ' + label + (integer ? ' (or type an id)' : '')}
        value={search}
        disabled={!enabled}
        onChange={(ev) => setSearch(ev.target.value)}
      />
      <select
        id={id}
        className="select wb-picker"
        data-datasource={schema['x-dataSource']}
        data-path={path}
        disabled={!enabled}
        aria-busy={state.loading ? 'true' : 'false'}
        value={value}
        onChange={(ev) => onPick(ev.target.value)}
      >
        <option value="">— choose —</option>
        {!known ? <option value={value}>{labels.current.get(value) || seen(schema, value) || (integer ? '#' + value : value)}</option> : null}
        {typed ? <option value={typed.key}>{typed.label}</option> : null}
        {shown.map((o) => (
          <option key={o.key} value={o.key}>{o.label}</option>
        ))}
      </select>
      {state.truncated ? (
        <button type="button" className="secondary wb-more" disabled={!enabled} onClick={() => setPages(pages + 1)}>More results</button>
      ) : null}
      <div className="wb-picker-note" role="status">{state.message}</div>
    </div>
  );
}

function toValue(schema, key) {
  if (key === '') return undefined;
  return schema.type === 'integer' || schema.type === 'number' ? Number(key) : key;
}

function DataSourceRenderer(props) {
  const { data, handleChange, path, schema, label, required, description, errors, id, visible, enabled } = props;
  const labels = useRef(new Map());
  const current = data === undefined || data === null ? '' : String(data);
  return (
    <Field id={id} label={label} required={required} description={description} errors={errors} visible={visible}>
      <Picker id={id + '-input'} path={path} label={label} schema={schema} value={current} labels={labels}
        enabled={enabled} onPick={(key) => handleChange(path, toValue(schema, key))} />
    </Field>
  );
}

// A list of picked records (a many2many): the chosen ones by name, each removable, and a picker
// that adds one. The value is the list of keys in the items' type (ids for a many2many).
function MultiPickerRenderer(props) {
  const { data, handleChange, path, schema, label, required, description, errors, id, visible, enabled } = props;
  const labels = useRef(new Map());
  const chosen = Array.isArray(data) ? data : [];
  const keys = chosen.map(String);
  return (
    <Field id={id} label={label} required={required} description={description} errors={errors} visible={visible}>
      <ul className="wb-chosen" aria-label={label + ' chosen'}>
        {chosen.map((value, index) => {
          const name = labels.current.get(String(value)) || (schema.items.type === 'integer' ? '#' + value : String(value));
          return (
            <li key={String(value)}>
              <span>{name}</span>{' '}
              <button type="button" className="secondary wb-remove" aria-label={'Remove ' + name} disabled={!enabled}
                onClick={() => handleChange(path, chosen.filter((_, i) => i !== index))}>×</button>
            </li>
          );
        })}
      </ul>
      <Picker id={id + '-input'} path={path} label={label} schema={schema.items} value="" labels={labels}
        enabled={enabled} exclude={keys}
        onPick={(key) => { if (key !== '' && !keys.includes(key)) handleChange(path, [...chosen, toValue(schema.items, key)]); }} />
    </Field>
  );
}

// One sub-form per line (a one2many), drawn from the items' schema and the control's
// `options.detail` UI schema (the line model's own form, as modelForm gives it).
function LinesRenderer(props) {
  const { data, handleChange, path, schema, uischema, label, description, errors, visible, enabled, renderers, cells } = props;
  const lines = Array.isArray(data) ? data : [];
  const detail = useMemo(
    () => (uischema.options && uischema.options.detail) || Generate.uiSchema(schema.items, 'VerticalLayout', undefined, schema.items),
    [uischema, schema],
  );
  if (visible === false) return null;
  return (
    <fieldset className="wb-lines group-layout" data-path={path}>
      <legend>{label}</legend>
      {description ? <div className="input-description">{description}</div> : null}
      {lines.map((_, index) => (
        <fieldset key={index} className="wb-line group-layout" aria-label={label + ' line ' + (index + 1)}>
          <legend>{'Line ' + (index + 1)}</legend>
          <JsonFormsDispatch schema={schema.items} uischema={detail} path={path + '.' + index} enabled={enabled} renderers={renderers} cells={cells} />
          <button type="button" className="secondary" disabled={!enabled}
            onClick={() => handleChange(path, lines.filter((__, i) => i !== index))}>{'Remove line ' + (index + 1)}</button>
        </fieldset>
      ))}
      <button type="button" className="secondary" disabled={!enabled} onClick={() => handleChange(path, [...lines, {}])}>
        {'Add a line to ' + label}
      </button>
      <div className="validation wb-error">{errors}</div>
    </fieldset>
  );
}

function SelectRenderer(props) {
  const { data, handleChange, path, schema, label, required, description, errors, id, visible, enabled } = props;
  const options = schema.oneOf ? schema.oneOf.map((o) => ({ value: o.const, label: o.title === undefined ? String(o.const) : o.title }))
    : (schema.enum || []).map((v) => ({ value: v, label: String(v) }));
  const index = options.findIndex((o) => o.value === data);
  return (
    <Field id={id} label={label} required={required} description={description} errors={errors} visible={visible}>
      <select id={id + '-input'} className="select" data-path={path} disabled={!enabled} value={index < 0 ? '' : String(index)}
        onChange={(ev) => handleChange(path, ev.target.value === '' ? undefined : options[Number(ev.target.value)].value)}>
        <option value="">— choose —</option>
        {options.map((o, i) => <option key={i} value={String(i)}>{o.label}</option>)}
      </select>
    </Field>
  );
}

// "Unexpected token } in JSON at position 12" → where that is, as a person counts: line and column.
function where(text, message) {
  const found = /position (\d+)/.exec(message);
  if (!found || /line \d+/.test(message)) return message;
  const before = text.slice(0, Number(found[1])).split('\n');
  return message + ' (line ' + before.length + ', column ' + (before[before.length - 1].length + 1) + ')';
}

function JsonTextRenderer(props) {
  const { data, handleChange, path, label, required, description, errors, id, visible, enabled } = props;
  const picker = React.useContext(PickerContext);
  const shown = useMemo(() => (data === undefined ? '' : JSON.stringify(data, null, 2)), []);
  const [text, setText] = useState(shown);
  const [problem, setProblem] = useState('');
  const report = (message) => { setProblem(message); if (picker && picker.invalid) picker.invalid(path, label, message || null); };
  useEffect(() => () => { if (picker && picker.invalid) picker.invalid(path, label, null); }, [path]);
  useEffect(() => {
    // data changed from outside (an example loaded, a model switched): show it, unless it is what the text says
    let same = false;
    try { same = JSON.stringify(JSON.parse(text || 'null')) === JSON.stringify(data === undefined ? null : data); } catch (e) { same = false; }
    if (!same) { setText(data === undefined ? '' : JSON.stringify(data, null, 2)); report(''); }
  }, [data]);
  return (
    <Field id={id} label={label + ' (JSON)'} required={required} description={description}
      errors={[problem, errors].filter(Boolean).join('\n')} visible={visible}>
      <textarea
        id={id + '-input'}
        className="wb-json"
        data-path={path}
        disabled={!enabled}
        aria-invalid={problem ? 'true' : 'false'}
        rows={Math.min(12, Math.max(3, text.split('\n').length))}
        value={text}
        spellCheck={false}
        onChange={(ev) => {
          const value = ev.target.value;
          setText(value);
          if (value.trim() === '') { report(''); handleChange(path, undefined); return; }
          try { handleChange(path, JSON.parse(value)); report(''); }
          catch (e) { report('Not valid JSON: ' + where(value, e.message)); }
        }}
      />
    </Field>
  );
}

// A file's bytes as base64 (`x-file: true`, uploadAttachment's content): a file chooser
// that reads the file into the input, and names the file in the sibling `fileName` when that is
// still empty. The text stays visible and editable: what is sent is what is shown.
function FileRenderer(props) {
  const { data, handleChange, path, label, required, description, errors, id, visible, enabled } = props;
  const ctx = useJsonForms();
  const sibling = (name) => (path.includes('.') ? path.slice(0, path.lastIndexOf('.') + 1) : '') + name;
  const text = typeof data === 'string' ? data : '';
  return (
    <Field id={id} label={label} required={required} description={description} errors={errors} visible={visible}>
      <input type="file" aria-label={'Choose a file for ' + label} disabled={!enabled}
        onChange={(ev) => {
          const file = ev.target.files && ev.target.files[0];
          if (!file) return;
          const reader = new FileReader();
          reader.onload = () => {
            const url = String(reader.result);
            handleChange(path, url.slice(url.indexOf(',') + 1));
            if (!Resolve.data(ctx.core.data, sibling('fileName'))) ctx.dispatch(Actions.update(sibling('fileName'), () => file.name));
          };
          reader.readAsDataURL(file);
        }} />
      <textarea id={id + '-input'} className="wb-json" data-path={path} rows={3} disabled={!enabled} value={text}
        spellCheck={false} onChange={(ev) => handleChange(path, ev.target.value === '' ? undefined : ev.target.value)} />
    </Field>
  );
}

function ObjectRenderer({ schema, path, visible, enabled, label, renderers, cells, rootSchema }) {
  const detail = useMemo(
    () => ({ ...Generate.uiSchema(schema, 'Group', undefined, rootSchema), label }),
    [schema, label, rootSchema],
  );
  if (visible === false) return null;
  return (
    <div className="wb-object" data-path={path}>
      <JsonFormsDispatch schema={schema} uischema={detail} path={path} enabled={enabled} renderers={renderers} cells={cells} />
    </div>
  );
}

// An input whose schema is another data source's answer (`x-dynamicSchema: {dataSource,
// dependsOn}`, the model's own form for `parameters`): once the inputs it depends on are chosen,
// the data source's {schema, uischema} is rendered in place, at this input's path. Until then,
// or when the user prefers, the value is JSON text. Expressions of the form view the data source
// could not evaluate (`x-modifiersLeftOut`) are listed under the form.
function DynamicSchemaRenderer(props) {
  const { schema, path, visible, enabled, label, renderers, cells } = props;
  const spec = schema['x-dynamicSchema'];
  const picker = React.useContext(PickerContext);
  const ctx = useJsonForms();
  const root = ctx.core.data;
  const request = picker.dynamicSchema(spec, root);
  const [state, setState] = useState({ form: null, message: '' });
  const [asJson, setAsJson] = useState(false);
  useEffect(() => {
    let cancelled = false;
    if (request.waitingFor) { setState({ form: null, message: request.waitingFor }); return undefined; }
    setState({ form: null, message: 'Loading the form…' });
    request.load().then(
      (form) => { if (!cancelled) setState({ form, message: '' }); },
      (error) => { if (!cancelled) setState({ form: null, message: String(error.message || error) }); },
    );
    return () => { cancelled = true; };
  }, [request.key]);
  if (visible === false) return null;
  const form = state.form;
  const uischema = form && (form.uischema || Generate.uiSchema(form.schema, 'VerticalLayout', undefined, form.schema));
  const leftOut = (form && form.schema['x-modifiersLeftOut']) || [];
  return (
    <fieldset className="wb-dynamic group-layout" data-path={path}>
      <legend>{label}</legend>
      <label className="wb-as-json">
        <input type="checkbox" checked={asJson || !form} disabled={!form} onChange={(ev) => setAsJson(ev.target.checked)} />
        {' '}as JSON
      </label>
      <div className="wb-picker-note">{state.message}</div>
      {form && !asJson ? (
        <JsonFormsDispatch schema={form.schema} uischema={uischema} path={path} enabled={enabled} renderers={renderers} cells={cells} />
      ) : (
        <JsonTextRenderer
          id={'wb-' + path.replace(/\W/g, '-')}
          label={label}
          path={path}
          enabled={enabled}
          data={Resolve.data(root, path)}
          handleChange={(at, value) => ctx.dispatch(Actions.update(at, () => value))}
        />
      )}
      {form && leftOut.length ? (
        <details className="wb-left-out">
          <summary>{leftOut.length + ' conditions of the form view were not evaluated'}</summary>
          <ul>{leftOut.map((m, i) => <li key={i}><code>{m.field}</code>{' ' + m.attribute + '="' + m.expression + '"'}</li>)}</ul>
        </details>
      ) : null}
    </fieldset>
  );
}

const renderers = [
  ...vanillaRenderers,
  { tester: rankWith(10, and(isControl, schemaMatches((s) => typeof (s && s['x-dataSource']) === 'string'))),
    renderer: withJsonFormsControlProps(DataSourceRenderer) },
  { tester: rankWith(10, and(isControl, schemaMatches(isPickedList))), renderer: withJsonFormsControlProps(MultiPickerRenderer) },
  { tester: rankWith(10, and(isControl, schemaMatches(isLines))), renderer: withJsonFormsControlProps(LinesRenderer) },
  { tester: rankWith(5, or(isEnumControl, isOneOfEnumControl)), renderer: withJsonFormsControlProps(SelectRenderer) },
  { tester: rankWith(9, and(isControl, schemaMatches(isFreeForm))), renderer: withJsonFormsControlProps(JsonTextRenderer) },
  { tester: rankWith(2, isObjectControl), renderer: withJsonFormsDetailProps(ObjectRenderer) },
  { tester: rankWith(8, and(isControl, schemaMatches((s) => !!s && s.type === 'string' && s['x-file'] === true))),
    renderer: withJsonFormsControlProps(FileRenderer) },
  { tester: rankWith(11, and(isControl, schemaMatches((s) => !!s && typeof s['x-dynamicSchema'] === 'object'))),
    renderer: withJsonFormsDetailProps(DynamicSchemaRenderer) },
];

function Form({ options, api }) {
  const [data, setData] = useState(options.data || {});
  const [errors, setErrors] = useState([]);
  const [, setVersion] = useState(0);
  // the data as last seen, to tell which inputs a change touched (options.normalize clears the
  // values that belonged to the inputs' old values: a model switched, its form's values go)
  const seen = useRef(options.data || {});
  api.setErrors = setErrors;
  api.setData = (value) => { seen.current = value; setData(value); setVersion((v) => v + 1); if (options.onChange) options.onChange(value); };
  api.getData = () => seen.current;
  return (
    <PickerContext.Provider value={options.picker}>
      <JsonForms
        schema={options.schema}
        uischema={options.uischema}
        data={data}
        renderers={renderers}
        cells={vanillaCells}
        config={{ showUnfocusedDescription: true, restrict: true }}
        validationMode="NoValidation"
        additionalErrors={errors}
        onChange={({ data: next }) => {
          const fixed = options.normalize ? options.normalize(seen.current, next) : next;
          if (fixed !== next) { api.setData(fixed); return; }
          seen.current = next;
          setData(next);
          if (options.onChange) options.onChange(next);
        }}
      />
    </PickerContext.Provider>
  );
}

// mount(element, {schema, uischema?, data?, picker: {optionsFor(path, dataSource, rootData,
//   constants, {search, pages}), dynamicSchema(spec, rootData), invalid(path, label, message)},
//   normalize?(previous, next), onChange?})
// returns {getData(), setData(data), setErrors(ajvLikeErrors), unmount()}.
function mount(element, options) {
  const api = { setErrors() {}, setData() {}, getData() { return options.data || {}; } };
  const root = createRoot(element);
  root.render(<Form options={options} api={api} />);
  api.unmount = () => root.unmount();
  return api;
}

window.WorkbenchForms = { mount };
