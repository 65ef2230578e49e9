"""``odoo-connector export n8n DIR`` writes the n8n package from ``describe``: the names users and
workflows depend on, one parameter per input named as the input, the pickers bound as
docs/manifest.md says. Python only (no n8n here: tests/test_n8n.py runs the package in one)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from odoo_connector.cli import main
from odoo_connector.hosts.n8n import n8n_descriptions
from odoo_connector.manifest import load_manifest


@pytest.fixture(scope="module")
def describe() -> dict[str, Any]:
    return load_manifest().describe()


def export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    target = tmp_path / "package"
    assert main(["export", "n8n", str(target)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["package"] == "n8n-nodes-odoo-connector"
    return target


def shown_for(properties: list[dict[str, Any]], selector: str, key: str) -> dict[str, dict[str, Any]]:
    return {
        p["name"]: p
        for p in properties
        if key in p.get("displayOptions", {}).get("show", {}).get(selector, [])
    }


def test_the_package_names_the_nodes_and_credentials_n8n_loads(tmp_path, capsys, describe):
    target = export(tmp_path, capsys)
    package = json.loads((target / "package.json").read_text())
    assert package["name"] == "n8n-nodes-odoo-connector"
    assert package["version"] == describe["version"]
    assert "n8n-community-node-package" in package["keywords"]
    for relative in package["n8n"]["nodes"] + package["n8n"]["credentials"]:
        assert (target / relative).is_file(), relative
    units = json.loads((target / "units.json").read_text())
    assert units["action"]["description"]["name"] == "odooConnector"
    assert units["trigger"]["description"]["name"] == "odooConnectorTrigger"
    assert [c["name"] for c in units["credentials"]] == ["odooApiKey", "odooBasicAuth"]
    for credential, connection in zip(units["credentials"], describe["connections"], strict=True):
        fields = [p["name"] for p in credential["properties"] if p["type"] != "notice"]
        assert fields == [f["key"] for f in connection["fields"]]
        secret = {p["name"] for p in credential["properties"] if p.get("typeOptions", {}).get("password")}
        assert secret == {f["key"] for f in connection["fields"] if f.get("secret")}


def test_every_action_is_an_operation_with_one_parameter_per_input(describe):
    action = n8n_descriptions(describe)["action"]
    properties = action["description"]["properties"]
    operation = next(p for p in properties if p["name"] == "operation")
    assert [o["value"] for o in operation["options"]] == [u["key"] for u in describe["actions"]]
    for unit in describe["actions"]:
        shown = shown_for(properties, "operation", unit["key"])
        inputs = unit["inputs"].get("properties", {})
        assert set(shown) == set(inputs), unit["key"]
        for name in unit["inputs"].get("required", []):
            assert shown[name]["required"] is True, (unit["key"], name)


def test_inputs_a_picklist_fills_search_on_the_server_and_keys_become_the_input_type(describe):
    action = n8n_descriptions(describe)["action"]
    shown = shown_for(action["description"]["properties"], "operation", "getRecordById")
    record = shown["recordId"]
    assert record["type"] == "resourceLocator"
    assert record["modes"][0]["typeOptions"] == {"searchListMethod": "selectRecordById", "searchable": True}
    # the data source's other inputs come from the node's parameters of the same name
    assert "model" in record["typeOptions"]["loadOptionsDependsOn"]
    assert action["methods"]["listSearch"]["selectRecordById"]["search"] == "search"
    assert action["methods"]["listSearch"]["selectModel"]["search"] == "nameSearch"
    assert action["units"]["getRecordById"]["inputs"]["recordId"]["kind"] == "integer"
    assert action["units"]["getRecordById"]["inputs"]["model"]["kind"] == "string"
    # a data source without x-search is a list n8n filters itself: options from loadOptions
    aggregate = shown_for(action["description"]["properties"], "operation", "aggregateRecords")
    assert aggregate["groupBy"]["type"] == "multiOptions"
    assert aggregate["groupBy"]["typeOptions"]["loadOptionsMethod"] == "selectGroupByField"


def test_create_and_update_parameters_are_the_model_form_in_the_resource_mapper(describe):
    action = n8n_descriptions(describe)["action"]
    for key, purpose in (("createRecord", "create"), ("updateRecord", "update")):
        parameters = shown_for(action["description"]["properties"], "operation", key)["parameters"]
        assert parameters["type"] == "resourceMapper"
        method = parameters["typeOptions"]["resourceMapper"]["resourceMapperMethod"]
        assert action["methods"]["resourceMapping"][method] == {
            "dataSource": "modelForm",
            "dependsOn": ["model"],
            "inputs": {"purpose": purpose},
        }
    # upsertRecord's parameters have no form in the manifest: JSON
    upsert = shown_for(action["description"]["properties"], "operation", "upsertRecord")
    assert upsert["parameters"]["type"] == "json"


def test_the_trigger_node_polls_the_triggers_without_a_lifecycle_with_one_output_per_branch(describe):
    trigger = n8n_descriptions(describe)["trigger"]
    options = next(p for p in trigger["description"]["properties"] if p["name"] == "trigger")["options"]
    assert [o["value"] for o in options] == [u["key"] for u in describe["triggers"] if not u.get("lifecycle")]
    assert trigger["description"]["polling"] is True
    poll = next(u for u in describe["triggers"] if u["key"] == "pollChangesTrigger")
    branches = list(poll["output"]["properties"]["data"]["properties"])
    assert trigger["description"]["outputNames"] == branches
    assert branches[:2] == ["created", "updated"] and {"archived", "unarchived"} <= set(branches)


def test_an_input_named_as_a_node_parameter_is_refused(describe):
    broken = json.loads(json.dumps(describe))
    broken["actions"][0]["inputs"]["properties"]["operation"] = {"type": "string"}
    with pytest.raises(Exception, match="operation"):
        n8n_descriptions(broken)


def test_export_into_a_file_is_a_configuration_error(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("")
    assert main(["export", "n8n", str(target)]) == 3
    assert "folder" in capsys.readouterr().err
