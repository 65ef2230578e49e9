'use strict';
// The node and credential classes, built from units.json (written by `odoo-connector export
// n8n` from `describe`). Nothing here names a unit or an input: a manifest change reaches n8n by
// exporting again. docs/n8n.md in odoo-connector describes the parameters and the state rule.

const units = require('../units.json');
const { call, connectionFrom, workflowModule } = require('./service');

const fieldTypes = Object.fromEntries(units.credentials.map((c) => [c.name, c.fields]));

function named(name, cls) {
	Object.defineProperty(cls, 'name', { value: name });
	return cls;
}

function className(key) {
	return key.charAt(0).toUpperCase() + key.slice(1);
}

function credentialClass(key) {
	const spec = units.credentials.find((c) => c.name === key);
	return named(
		className(key),
		class {
			constructor() {
				this.name = spec.name;
				this.displayName = spec.displayName;
				this.properties = spec.properties;
			}
		},
	);
}

async function connection(context, itemIndex) {
	const type = itemIndex === undefined
		? context.getNodeParameter('authentication', 'odooApiKey')
		: context.getNodeParameter('authentication', itemIndex);
	const credentials = await context.getCredentials(type, itemIndex);
	return connectionFrom(type, credentials, fieldTypes[type] || {});
}

function isEmpty(value) {
	return value === undefined || value === null || value === '';
}

// A resourceLocator's {__rl, mode, value}, or a plain value written in a workflow's JSON.
function plain(value) {
	if (value && typeof value === 'object' && !Array.isArray(value) && value.__rl) return value.value;
	return value;
}

function toInteger(value) {
	if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value.trim());
	return value;
}

function toScalar(kind, value) {
	if (kind === 'integer' || kind === 'number') {
		if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
		return value;
	}
	if (kind === 'boolean' && typeof value === 'string') {
		if (value === 'true') return true;
		if (value === 'false') return false;
	}
	return value;
}

function parseJson(node, name, value, itemIndex) {
	if (typeof value !== 'string') return value;
	try {
		return JSON.parse(value);
	} catch (error) {
		const { NodeOperationError } = workflowModule();
		throw new NodeOperationError(node, `The input "${name}" is not valid JSON: ${error.message}`, {
			description: 'Give it as JSON text, e.g. ["name", "email"] for a list or {"name": "Acme"} for an object.',
			itemIndex,
		});
	}
}

// The resource mapper keeps {mappingMode, value, schema, ...}; a workflow may give the object
// itself, or JSON text. Fields the form left unset (null) are not sent.
function mapperValue(node, name, value, itemIndex) {
	value = parseJson(node, name, value, itemIndex);
	if (!value || typeof value !== 'object' || Array.isArray(value) || !('mappingMode' in value)) return value;
	const types = Object.fromEntries((value.schema || []).map((f) => [f.id, f.type]));
	const out = {};
	for (const [field, fieldValue] of Object.entries(value.value || {})) {
		if (fieldValue === null || fieldValue === undefined) continue;
		if (types[field] === 'number') out[field] = toScalar('number', fieldValue);
		else if (types[field] === 'array' || types[field] === 'object') out[field] = parseJson(node, `${name}.${field}`, fieldValue, itemIndex);
		else if (types[field] === 'boolean') out[field] = toScalar('boolean', fieldValue);
		else out[field] = fieldValue;
	}
	return out;
}

// One input's value, as the manifest's schema wants it: keys of pickers are strings, sent as
// integers where the input is one; JSON text parsed; an optional input left empty is not sent.
function inputValue(node, name, spec, raw, itemIndex) {
	let value = plain(raw);
	if (spec.kind === 'mapper') return mapperValue(node, name, value, itemIndex);
	if (spec.kind === 'json') {
		if (isEmpty(value)) return undefined;
		return parseJson(node, name, value, itemIndex);
	}
	if (spec.kind === 'list') {
		value = parseJson(node, name, value, itemIndex);
		if (!Array.isArray(value)) return value;
		return value.map((v) => (spec.items === 'integer' ? toInteger(v) : v));
	}
	if (isEmpty(value) && !spec.required) return undefined;
	return toScalar(spec.kind, value);
}

function collectInputs(context, unit, itemIndex) {
	const node = context.getNode();
	const inputs = {};
	for (const [name, spec] of Object.entries(unit.inputs)) {
		// the connector checks every input (clear errors naming the input): n8n's own check of a
		// parameter's type would refuse JSON text given for an object, which workflows may use
		const options = { skipValidation: true };
		const raw = itemIndex === undefined
			? context.getNodeParameter(name, null, options)
			: context.getNodeParameter(name, itemIndex, null, options);
		const value = inputValue(node, name, spec, raw, itemIndex);
		if (value !== undefined) inputs[name] = value;
	}
	return inputs;
}

// The data source's inputs from the node's parameters of the same name (docs/manifest.md,
// "Picklists: the binding"), converted as the current unit's inputs are.
function sourceInputs(context, part, selector, names) {
	const key = context.getCurrentNodeParameter(selector);
	const unit = part.units[key] || { inputs: {} };
	const node = context.getNode();
	const inputs = {};
	for (const name of names) {
		const spec = unit.inputs[name];
		if (!spec) continue;
		const value = inputValue(node, name, spec, context.getCurrentNodeParameter(name), undefined);
		if (value !== undefined) inputs[name] = value;
	}
	return inputs;
}

async function runSource(context, dataSource, inputs) {
	const answer = await call(context, '/v1/run', {
		key: dataSource,
		connection: await connection(context),
		inputs,
	});
	return answer;
}

const FIELD_TYPES = { integer: 'number', number: 'number', boolean: 'boolean', array: 'array', object: 'object' };

function mapperField(id, prop, required) {
	const field = {
		id,
		displayName: prop.title || id,
		required,
		defaultMatch: false,
		canBeUsedToMatch: false,
		display: true,
		type: FIELD_TYPES[prop.type] || 'string',
	};
	if (prop.format === 'date-time' || prop.format === 'date') field.type = 'dateTime';
	if (Array.isArray(prop.oneOf) && prop.oneOf.every((o) => 'const' in o)) {
		field.type = 'options';
		field.options = prop.oneOf.map((o) => ({ name: String(o.title || o.const), value: o.const }));
	}
	return field;
}

function methods(part, selector, sourceSpecs) {
	const result = { loadOptions: {}, listSearch: {}, resourceMapping: {} };
	for (const [method, spec] of Object.entries(part.methods.loadOptions)) {
		result.loadOptions[method] = async function () {
			const names = sourceSpecs[spec.dataSource] || [];
			const answer = await runSource(this, spec.dataSource, sourceInputs(this, part, selector, names));
			return (answer.data || []).map((o) => ({ name: o.label, value: o.key }));
		};
	}
	for (const [method, spec] of Object.entries(part.methods.listSearch)) {
		result.listSearch[method] = async function (filter) {
			const names = (sourceSpecs[spec.dataSource] || []).filter((n) => n !== spec.search);
			const inputs = sourceInputs(this, part, selector, names);
			if (filter) inputs[spec.search] = filter;
			const answer = await runSource(this, spec.dataSource, inputs);
			return { results: (answer.data || []).map((o) => ({ name: o.label, value: o.key })) };
		};
	}
	for (const [method, spec] of Object.entries(part.methods.resourceMapping)) {
		result.resourceMapping[method] = async function () {
			const inputs = { ...sourceInputs(this, part, selector, spec.dependsOn), ...spec.inputs };
			const answer = await runSource(this, spec.dataSource, inputs);
			const schema = (answer.data && answer.data.schema) || {};
			const required = new Set(schema.required || []);
			const fields = Object.entries(schema.properties || {}).map(([id, prop]) => mapperField(id, prop, required.has(id)));
			return { fields };
		};
	}
	return result;
}

// The envelope's data as n8n items: a list of records is one item per record; anything else
// is one item (a value that is not an object under "data").
function items(data) {
	const list = Array.isArray(data) ? data : [data];
	return list.map((entry) => ({
		json: entry && typeof entry === 'object' && !Array.isArray(entry) ? entry : { data: entry },
	}));
}

function nodeClass(kind) {
	const part = units[kind];
	const sourceSpecs = units.dataSourceInputs;
	const selector = kind === 'action' ? 'operation' : 'trigger';
	const name = className(part.description.name);
	if (kind === 'action') {
		return named(
			name,
			class {
				constructor() {
					this.description = part.description;
					this.methods = methods(part, selector, sourceSpecs);
				}

				async execute() {
					const received = this.getInputData();
					const returned = [];
					for (let i = 0; i < received.length; i++) {
						try {
							const key = this.getNodeParameter('operation', i);
							const answer = await call(this, '/v1/run', {
								key,
								connection: await connection(this, i),
								inputs: collectInputs(this, part.units[key], i),
							}, i);
							for (const item of items(answer.data)) returned.push({ ...item, pairedItem: { item: i } });
						} catch (error) {
							if (!this.continueOnFail()) throw error;
							returned.push({ json: { error: error.message, description: error.description }, pairedItem: { item: i } });
						}
					}
					return [returned];
				}
			},
		);
	}
	return named(
		name,
		class {
			constructor() {
				this.description = part.description;
				this.methods = methods(part, selector, sourceSpecs);
			}

			// n8n saves the workflow's static data after a poll that returned items (and when the
			// workflow is activated): the new state is stored there only alongside the items it
			// produced, so a state is never saved for records that were not handed to n8n.
			async poll() {
				const key = this.getNodeParameter('trigger');
				const unit = part.units[key];
				const staticData = this.getWorkflowStaticData('node');
				const stored = staticData.odooConnector && staticData.odooConnector.key === key
					? staticData.odooConnector.state
					: null;
				const inputs = collectInputs(this, unit, undefined);
				const answer = await call(this, '/v1/poll', {
					key,
					connection: await connection(this),
					inputs,
					state: stored,
				});
				const branches = part.description.outputNames;
				const data = answer.data || {};
				const out = branches.map((branch) => items(data[branch] || []).filter(() => Array.isArray(data[branch])));
				const count = out.reduce((n, list) => n + list.length, 0);
				if (this.getMode() === 'manual') {
					// "Fetch test event" in the editor: show records, keep the stored state
					return count ? out : null;
				}
				staticData.odooConnector = { key, state: answer.state };
				return count ? out : null;
			}
		},
	);
}

module.exports = { credentialClass, nodeClass };
