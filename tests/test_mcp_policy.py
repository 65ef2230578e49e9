"""What the MCP server offers and refuses, in process (odoo_connector.hosts.tools): the policy is
read from the manifest's flags and model inputs, and a refused call never leaves the machine (the
connection points at a port where nothing listens, so a call that went out would be a
TransportError, not the policy's ToolError)."""

from __future__ import annotations

import re

import pytest

from odoo_connector.hosts.tools import STATE_INPUT, Policy, Toolbox, ToolError
from odoo_connector.manifest import load_manifest

NOWHERE = {"type": "odooApiKey", "baseUrl": "http://127.0.0.1:9", "database": "odoo19", "apiKey": "k" * 40}


def toolbox(**policy: object) -> Toolbox:
    return Toolbox(load_manifest(), NOWHERE, Policy(**policy))  # type: ignore[arg-type]


def test_every_action_and_picklist_and_the_poll_trigger_are_tools():
    manifest = load_manifest()
    expected = [u.key for u in manifest.units() if u.kind != "trigger" or u.lifecycle is None]
    tools = toolbox().tools
    assert list(tools) == expected and "recordWebhookTrigger" not in tools
    trigger = tools["pollChangesTrigger"]
    own = manifest.unit("pollChangesTrigger").input_schema["properties"]
    assert trigger.input_schema["properties"] == {
        **own,
        STATE_INPUT: trigger.input_schema["properties"][STATE_INPUT],
    }


def test_allow_keys_offers_only_those_and_refuses_the_rest_before_sending():
    box = toolbox(keys=frozenset({"getRecordById", "selectModel"}))
    assert set(box.tools) == {"getRecordById", "selectModel"}
    with pytest.raises(ToolError, match="not offered"):
        box.call("deleteRecordById", {"model": "res.partner", "recordId": 1})
    with pytest.raises(ToolError, match="no tool 'dropDatabase'"):
        box.call("dropDatabase", {})


def test_allow_models_checks_every_model_input_and_hides_tools_that_reach_any_model():
    box = toolbox(models=frozenset({"res.partner"}))
    for hidden in ("getRecordByExternalId", "downloadAttachment", "rawHttpRequest", "listModels"):
        assert hidden not in box.tools
    assert {"selectModel", "selectCompany", "runWizard"} <= set(box.tools)
    wizard = {"wizardModel": "res.partner", "activeModel": "res.users", "activeIds": [1]}
    with pytest.raises(ToolError, match=re.escape("'res.users' (activeModel)")) as refused:
        box.call("runWizard", wizard)
    assert refused.value.path == "activeModel"
    with pytest.raises(ToolError, match=re.escape("res.country")):
        box.call("listRecords", {"model": "res.country"})


def test_read_only_offers_only_what_only_reads():
    box = toolbox(read_only=True)
    assert box.tools and all(tool.unit.read_only for tool in box.tools.values())
    with pytest.raises(ToolError, match="not offered"):
        box.call("createRecord", {"model": "res.partner", "parameters": {"name": "x"}})


def test_a_completion_needing_an_input_not_given_yet_answers_nothing_without_sending():
    box = toolbox()
    assert box.completable("getRecordById") == {"model": "selectModel", "recordId": "selectRecordById"}
    assert box.complete("getRecordById", "recordId", "Bel", {}) == []  # no model yet: nothing sent
