'use strict';
// The bridge from n8n to the Python connector: every call is one request to `odoo-connector
// serve` (loopback, bearer token), found from the n8n process's environment. The Odoo
// connection travels in the request body, built from n8n's credential store; it is never a
// workflow parameter, and it is never logged or put in an error.

const DEFAULT_URL = 'http://127.0.0.1:8765';
// Slightly longer than the connector's own deadline (the connection's timeout, 120 s by default)
// so that the connector, which knows what went wrong, answers first.
const DEFAULT_TIMEOUT_MS = 180000;

function workflowModule() {
	// A package in N8N_CUSTOM_EXTENSIONS sits outside n8n's node_modules: resolve n8n-workflow
	// from n8n itself when the package has no copy of its own.
	try {
		return require('n8n-workflow');
	} catch (error) {
		return require.main.require('n8n-workflow');
	}
}

function serviceSettings() {
	const url = (process.env.ODOO_CONNECTOR_URL || DEFAULT_URL).replace(/\/+$/, '');
	const token = (process.env.ODOO_CONNECTOR_TOKEN || '').trim();
	const timeout = Number(process.env.ODOO_CONNECTOR_TIMEOUT_MS || DEFAULT_TIMEOUT_MS);
	return { url, token, timeout };
}

// Credential fields as the manifest names them; integers typed as text (an optional port or
// company) become numbers, and empty optional fields are left out, as if never given.
function connectionFrom(type, credentials, fieldTypes) {
	const connection = { type };
	for (const [name, fieldType] of Object.entries(fieldTypes)) {
		let value = credentials[name];
		if (value === undefined || value === null || value === '') continue;
		if (fieldType === 'integer' && typeof value === 'string' && /^-?\d+$/.test(value.trim())) {
			value = Number(value.trim());
		}
		connection[name] = value;
	}
	return connection;
}

async function call(context, path, body, itemIndex) {
	const { NodeApiError, NodeOperationError } = workflowModule();
	const { url, token, timeout } = serviceSettings();
	if (!token) {
		throw new NodeOperationError(context.getNode(), 'ODOO_CONNECTOR_TOKEN is not set in n8n\'s environment', {
			description:
				'Start `odoo-connector serve` and give n8n the same token in ODOO_CONNECTOR_TOKEN ' +
				'(and its address in ODOO_CONNECTOR_URL, default ' + DEFAULT_URL + ').',
			itemIndex,
		});
	}
	let response;
	try {
		response = await context.helpers.httpRequest({
			method: 'POST',
			url: url + path,
			body,
			json: true,
			headers: { Authorization: 'Bearer ' + token },
			timeout,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
		});
	} catch (error) {
		// no answer at all: the service is not running, or not at that address
		throw new NodeOperationError(context.getNode(), 'odoo-connector serve cannot be reached at ' + url, {
			description:
				'Start it (`odoo-connector serve`) or set ODOO_CONNECTOR_URL in n8n\'s environment. ' +
				String((error && error.message) || error),
			itemIndex,
		});
	}
	const answer = typeof response.body === 'string' ? safeJson(response.body) : response.body;
	if (response.statusCode >= 200 && response.statusCode < 300 && answer && !answer.error) {
		return answer;
	}
	const error = (answer && answer.error) || {
		type: 'ServiceError',
		message: 'odoo-connector serve answered HTTP ' + response.statusCode,
	};
	const description = [error.hint, error.type && '(' + error.type + ')'].filter(Boolean).join(' ');
	throw new NodeApiError(context.getNode(), { error }, {
		message: error.message,
		description,
		httpCode: String(response.statusCode),
		itemIndex,
	});
}

function safeJson(text) {
	try {
		return JSON.parse(text);
	} catch (error) {
		return undefined;
	}
}

module.exports = { call, connectionFrom, workflowModule, serviceSettings };
