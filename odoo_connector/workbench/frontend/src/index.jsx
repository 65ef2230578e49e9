// The JSON Forms half of the workbench: @jsonforms/core, its React bindings and the vanilla
// renderers, plus two renderers for what a connector's schemas need and vanilla lacks:
//  - DataSourceControl: an input whose schema names a picklist (`x-dataSource`) is a dropdown
//    whose options the page loads by running that data source on the server (through invoke);
//    the page says which other inputs the picklist depends on, and the options reload when they
//    change (the record picker follows the chosen model).
//  - JsonTextControl: free-form values (an object without declared properties such as
//    createRecord's `parameters`, a domain, untyped values) are JSON text, parsed as you type.
//  - DynamicSchemaRenderer: an input described by a data source (`x-dynamicSchema`, the chosen
//    model's form) is rendered from the {schema, uischema} that data source returns.
//  - ObjectControl: an object input with declared properties (the shared `context`) is a group
//    of its own inputs; the vanilla set has no renderer for a nested object.
// Built by build.mjs into ../static/jsonforms.bundle.js; window.WorkbenchForms.mount is all the
// page (static/app.js, plain JavaScript) uses.
import React, { useEffect, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { JsonForms, JsonFormsDispatch, withJsonFormsControlProps, withJsonFormsDetailProps, useJsonForms } from '@jsonforms/react';
import { vanillaCells, vanillaRenderers } from '@jsonforms/vanilla-renderers';
import { Actions, Generate, Resolve, and, isControl, isObjectControl, rankWith, schemaMatches } from '@jsonforms/core';

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
    return !items || Array.isArray(items.type) || !simpleTypes.has(items.type) || !!items.enum;
  }
  return false;
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

function DataSourceRenderer(props) {
  const { data, handleChange, path, schema, label, required, description, errors, id, visible, enabled } = props;
  const picker = React.useContext(PickerContext);
  const ctx = useJsonForms();
  const root = ctx.core.data;
  const request = picker.optionsFor(path, schema['x-dataSource'], root, schema['x-dataSourceInputs']);
  const [state, setState] = useState({ loading: false, options: [], message: '', key: null });
  useEffect(() => {
    let cancelled = false;
    if (request.waitingFor) {
      setState({ loading: false, options: [], message: request.waitingFor, key: request.key });
      return undefined;
    }
    setState((s) => ({ ...s, loading: true, message: 'Loading…' }));
    request.load().then(
      (result) => {
        if (cancelled) return;
        const note = result.truncated ? 'More records exist: the first ' + result.options.length + ' are listed.' : '';
        setState({ loading: false, options: result.options, message: note, key: request.key });
      },
      (error) => {
        if (!cancelled) setState({ loading: false, options: [], message: String(error.message || error), key: request.key });
      },
    );
    return () => { cancelled = true; };
  }, [request.key]);
  const integer = schema.type === 'integer' || schema.type === 'number';
  const current = data === undefined || data === null ? '' : String(data);
  const known = state.options.some((o) => o.key === current);
  return (
    <Field id={id} label={label} required={required} description={description} errors={errors} visible={visible}>
      <select
        id={id + '-input'}
        className="select wb-picker"
        data-datasource={schema['x-dataSource']}
        data-path={path}
        disabled={!enabled || state.loading}
        value={current}
        onChange={(ev) => {
          const raw = ev.target.value;
          handleChange(path, raw === '' ? undefined : integer ? Number(raw) : raw);
        }}
      >
        <option value="">— choose —</option>
        {current !== '' && !known ? <option value={current}>{current}</option> : null}
        {state.options.map((o) => (
          <option key={o.key} value={o.key}>{o.label}</option>
        ))}
      </select>
      <div className="wb-picker-note">{state.message}</div>
    </Field>
  );
}

function JsonTextRenderer(props) {
  const { data, handleChange, path, label, required, description, errors, id, visible, enabled } = props;
  const shown = useMemo(() => (data === undefined ? '' : JSON.stringify(data, null, 2)), []);
  const [text, setText] = useState(shown);
  const [problem, setProblem] = useState('');
  useEffect(() => {
    // data changed from outside (an example loaded): show it, unless it is what the text says
    let same = false;
    try { same = JSON.stringify(JSON.parse(text || 'null')) === JSON.stringify(data === undefined ? null : data); } catch (e) { same = false; }
    if (!same) { setText(data === undefined ? '' : JSON.stringify(data, null, 2)); setProblem(''); }
  }, [data]);
  return (
    <Field id={id} label={label + ' (JSON)'} required={required} description={description}
      errors={[problem, errors].filter(Boolean).join('\n')} visible={visible}>
      <textarea
        id={id + '-input'}
        className="wb-json"
        data-path={path}
        disabled={!enabled}
        rows={Math.min(12, Math.max(3, text.split('\n').length))}
        value={text}
        spellCheck={false}
        onChange={(ev) => {
          const value = ev.target.value;
          setText(value);
          if (value.trim() === '') { setProblem(''); handleChange(path, undefined); return; }
          try { handleChange(path, JSON.parse(value)); setProblem(''); }
          catch (e) { setProblem('Not valid JSON yet: ' + e.message); }
        }}
      />
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
// or when the user prefers, the value is JSON text.
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
    </fieldset>
  );
}

const renderers = [
  ...vanillaRenderers,
  { tester: rankWith(10, and(isControl, schemaMatches((s) => typeof (s && s['x-dataSource']) === 'string'))),
    renderer: withJsonFormsControlProps(DataSourceRenderer) },
  { tester: rankWith(9, and(isControl, schemaMatches(isFreeForm))), renderer: withJsonFormsControlProps(JsonTextRenderer) },
  { tester: rankWith(2, isObjectControl), renderer: withJsonFormsDetailProps(ObjectRenderer) },
  { tester: rankWith(11, and(isControl, schemaMatches((s) => !!s && typeof s['x-dynamicSchema'] === 'object'))),
    renderer: withJsonFormsDetailProps(DynamicSchemaRenderer) },
];

function Form({ options, api }) {
  const [data, setData] = useState(options.data || {});
  const [errors, setErrors] = useState([]);
  const [, setVersion] = useState(0);
  api.setErrors = setErrors;
  api.setData = (value) => { setData(value); setVersion((v) => v + 1); };
  api.getData = () => data;
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
        onChange={({ data: next }) => { setData(next); if (options.onChange) options.onChange(next); }}
      />
    </PickerContext.Provider>
  );
}

// mount(element, {schema, uischema?, data?, picker: {optionsFor(path, dataSource, rootData, constants),
//   dynamicSchema(spec, rootData)}, onChange?})
// returns {getData(), setData(data), setErrors(ajvLikeErrors), unmount()}.
function mount(element, options) {
  const api = { setErrors() {}, setData() {}, getData() { return options.data || {}; } };
  const root = createRoot(element);
  root.render(<Form options={options} api={api} />);
  api.unmount = () => root.unmount();
  return api;
}

window.WorkbenchForms = { mount };
