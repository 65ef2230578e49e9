"""A broken manifest is reported with the file and the JSON path, and `validate` exits 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from odoo_connector.cli import main
from odoo_connector.manifest import ManifestError, clear_manifest_cache, load_manifest, validate_manifest

ROOT = Path(__file__).parent.parent


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "connector.yaml", tmp_path / "connector.yaml")
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    return tmp_path


def problems(tree: Path) -> list[str]:
    clear_manifest_cache()
    try:
        return validate_manifest(load_manifest(str(tree / "connector.yaml")))
    finally:
        clear_manifest_cache()


def by_key(units: list[dict], key: str) -> dict:
    """The unit named ``key``: tests pick units by key, so new units anywhere leave them valid."""
    return next(u for u in units if u["key"] == key)


def edit_yaml(tree: Path, change) -> None:
    path = tree / "connector.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))


def test_the_copy_is_clean(tree):
    assert problems(tree) == []


def test_an_example_that_does_not_match_its_output_schema(tree):
    (tree / "schemas/actions/createRecord.example.json").write_text('{"data": "not an id"}')
    assert problems(tree) == [
        "schemas/actions/createRecord.example.json: $.data: 'not an id' is not of type 'integer'"
    ]


def test_an_input_example_that_does_not_match(tree):
    path = tree / "schemas/actions/getRecordById.input.json"
    schema = json.loads(path.read_text())
    schema["examples"].append({"model": "res.partner", "recordId": 0})
    path.write_text(json.dumps(schema))
    assert any("getRecordById.input.json: $.examples[2].recordId" in p for p in problems(tree))


def test_an_invalid_schema(tree):
    path = tree / "schemas/actions/listModels.input.json"
    schema = json.loads(path.read_text())
    schema["properties"]["limit"]["type"] = "int"
    path.write_text(json.dumps(schema))
    assert any(
        p.startswith(
            "schemas/actions/listModels.input.json: $.properties.limit.type: not a valid JSON Schema"
        )
        for p in problems(tree)
    )


def test_a_handler_that_does_not_import_or_has_the_wrong_shape(tree):
    def change(data):
        by_key(data["actions"], "createRecord")["handler"] = "odoo_connector.actions.records:no_such_function"
        by_key(data["triggers"], "pollChangesTrigger")["handler"] = (
            "odoo_connector.actions.records:create_record"
        )

    edit_yaml(tree, change)
    found = problems(tree)
    assert any(
        "createRecord: $.handler: 'odoo_connector.actions.records:no_such_function' does not import" in p
        for p in found
    )
    assert any("pollChangesTrigger: $.handler" in p and "(client, inputs, state)" in p for p in found)


def test_duplicate_keys_and_unknown_connections(tree):
    def change(data):
        by_key(data["actions"], "updateRecord")["key"] = "createRecord"
        by_key(data["actions"], "deleteRecordById")["connections"] = ["odooOAuth"]

    edit_yaml(tree, change)
    found = problems(tree)
    assert "connector.yaml: action createRecord: key is not unique" in found
    assert "connector.yaml: action deleteRecordById: $.connections: unknown connection 'odooOAuth'" in found


def test_a_missing_field_or_file_is_a_manifest_error(tree, capsys):
    index = [u["key"] for u in yaml.safe_load((tree / "connector.yaml").read_text())["actions"]].index(
        "createRecord"
    )
    edit_yaml(tree, lambda data: data["actions"][index].pop("handler"))
    clear_manifest_cache()
    with pytest.raises(ManifestError, match=rf"\$\.actions\.{index}\.handler: Field required"):
        load_manifest(str(tree / "connector.yaml"))
    assert main(["validate", "--manifest", str(tree / "connector.yaml")]) == 2
    error = json.loads(capsys.readouterr().err.splitlines()[-1])["error"]
    assert error["type"] == "InputError" and "handler: Field required" in error["message"]
    clear_manifest_cache()


def test_an_input_schema_with_a_keyword_the_compiled_check_would_ignore(tree):
    path = tree / "schemas/actions/updateRecord.input.json"
    schema = json.loads(path.read_text())
    schema["dependentRequired"] = {"recordId": ["model"]}
    path.write_text(json.dumps(schema))
    assert problems(tree) == [
        "schemas/actions/updateRecord.input.json: $.dependentRequired: input schemas keep to draft-07 "
        "keywords (the runtime's compiled check would ignore this one)"
    ]


def edit_schema(tree: Path, name: str, change) -> None:
    path = tree / "schemas" / name
    schema = json.loads(path.read_text())
    change(schema)
    path.write_text(json.dumps(schema))


def test_an_input_property_without_description_or_examples_is_reported(tree):
    def change(schema):
        del schema["properties"]["method"]["description"]
        del schema["properties"]["timeout"]["examples"]
        schema["properties"]["headers"]["title"] = " "

    edit_schema(tree, "actions/rawHttpRequest.input.json", change)
    assert problems(tree) == [
        "schemas/actions/rawHttpRequest.input.json: $.properties.method: no description "
        "(the form shows it beside the input)",
        "schemas/actions/rawHttpRequest.input.json: $.properties.headers: no title "
        "(the form shows it beside the input)",
        "schemas/actions/rawHttpRequest.input.json: $.properties.timeout: no examples "
        "(give a non-empty list; each is validated)",
    ]


def test_a_property_from_common_json_is_held_to_the_same_promise(tree):
    edit_schema(tree, "common.json", lambda schema: schema["$defs"]["model"].pop("examples"))
    found = problems(tree)
    # every unit with a model input reports it, in its own file
    assert (
        "schemas/actions/createRecord.input.json: $.properties.model: no examples "
        "(give a non-empty list; each is validated)"
    ) in found
    # once for each unit whose model input is the shared definition without examples of its own
    manifest = load_manifest(str(tree / "connector.yaml"))
    expected = sorted(
        unit.inputs
        for unit in manifest.units()
        if "examples"
        not in json.loads((tree / unit.inputs).read_text())["properties"].get("model", {"examples": 1})
    )
    clear_manifest_cache()
    reported = sorted(p.split(":")[0] for p in found if "$.properties.model: no examples" in p)
    assert expected and reported == expected


def test_an_input_schema_without_a_description_is_reported(tree):
    edit_schema(tree, "triggers/pollChangesTrigger.input.json", lambda schema: schema.update(description=""))
    assert problems(tree) == [
        "schemas/triggers/pollChangesTrigger.input.json: $.description: missing or empty "
        "(the platform shows it above the form)"
    ]


def test_defaults_only_on_optional_inputs_valid_and_declared_for_numbers_and_flags(tree):
    def change(schema):
        schema["properties"]["model"]["default"] = "res.partner"  # required
        schema["properties"]["limit"]["default"] = 0  # below its minimum
        del schema["properties"]["pageSize"]["default"]  # optional integer

    edit_schema(tree, "actions/listRecords.input.json", change)
    assert problems(tree) == [
        "schemas/actions/listRecords.input.json: $.properties.model.default: a required input "
        "takes no default (it is never left out)",
        "schemas/actions/listRecords.input.json: $.properties.limit.default: 0 is less than the minimum of 1",
        "schemas/actions/listRecords.input.json: $.properties.pageSize: an optional integer input "
        "needs a default (the value the runtime uses when it is left out)",
    ]


def test_connection_documentation_must_be_the_text_not_a_relative_reference(tree):
    def change(data):
        data["connections"][0]["documentation"] = "README.md#connections"
        data["connections"][1]["documentation"] = "Read [the setup](docs/odoo-setup.md) first."
        data["connections"][1]["fields"][0]["description"] = ""

    edit_yaml(tree, change)
    assert problems(tree) == [
        "connector.yaml: connection odooApiKey: $.documentation: 'README.md#connections' is a "
        "reference, not the text; a platform has only the manifest and cannot open it: put the "
        "markdown itself here",
        "connector.yaml: connection odooBasicAuth: $.documentation: the link 'docs/odoo-setup.md' is "
        "relative; a platform cannot open it (use an absolute https:// URL or say it in the text)",
        "connector.yaml: connection odooBasicAuth: $.fields[0] (baseUrl): no description (the form shows it)",
    ]


def test_describe_carries_the_connection_documentation_with_only_the_manifest_installed(tree, capsys):
    """The tree holds connector.yaml and schemas/ only, as a wheel installs them: no README, no
    docs/. The platform still gets the whole text of each connection's documentation."""
    assert not (tree / "README.md").exists() and not (tree / "docs").exists()
    clear_manifest_cache()
    try:
        assert main(["describe", "--manifest", str(tree / "connector.yaml")]) == 0
    finally:
        clear_manifest_cache()
    described = json.loads(capsys.readouterr().out)
    docs = {conn["key"]: " ".join(conn["documentation"].split()) for conn in described["connections"]}
    assert "**My Preferences** → **Security** tab → **Add API Key**" in docs["odooApiKey"]
    assert "**Access Rights** for Set External ID" in docs["odooApiKey"]
    assert "/web/database/selector" in docs["odooBasicAuth"]
    assert all(".md#" not in text for text in docs.values())


def edit_json(tree: Path, file: str, change) -> None:
    path = tree / file
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def test_a_picklist_bound_to_an_unknown_data_source_or_a_missing_input_is_reported(tree):
    """The binding a platform implements from docs/manifest.md is held true by validate."""

    def bind(schema):
        schema["properties"]["recordId"]["x-dataSource"] = "selectNothing"
        schema["properties"]["fields"]["x-dataSource"] = "selectRecordById"

    edit_json(tree, "schemas/actions/getRecordById.input.json", bind)
    # the record picker needs a model: an action without a `model` input cannot give it
    edit_json(
        tree,
        "schemas/actions/getRecordByExternalId.input.json",
        lambda s: s["properties"]["externalId"].update({"x-dataSource": "selectRecordById"}),
    )
    found = problems(tree)
    assert (
        "schemas/actions/getRecordById.input.json: $.properties.recordId.x-dataSource: 'selectNothing' "
        "is not a data source of this manifest"
    ) in found
    # fields is a list of names: strings, which options fill
    assert not [p for p in found if "getRecordById.input.json: $.properties.fields" in p]
    assert (
        "schemas/actions/getRecordByExternalId.input.json: $.properties.externalId.x-dataSource: "
        "selectRecordById needs 'model', and getRecordByExternalId has no input of that name"
    ) in found


def test_a_picklist_filling_an_object_and_two_search_inputs_are_reported(tree):
    edit_json(
        tree,
        "schemas/actions/createRecord.input.json",
        lambda s: s["properties"]["parameters"].update({"x-dataSource": "selectModel"}),
    )
    edit_json(
        tree,
        "schemas/dataSources/selectRecordById.input.json",
        lambda s: s["properties"]["model"].update({"x-search": True}),
    )
    found = problems(tree)
    assert (
        "schemas/actions/createRecord.input.json: $.properties.parameters.x-dataSource: fills a object "
        "input; options fill strings or integers (or lists of them)"
    ) in found
    assert (
        "schemas/dataSources/selectRecordById.input.json: x-search on ['model', 'search']: at most one "
        "input takes the typed search"
    ) in found


def test_every_searchable_picklist_says_which_input_takes_the_typed_text():
    from odoo_connector.manifest import load_manifest

    searched = {
        unit.key: [n for n, p in unit.input_schema["properties"].items() if p.get("x-search")]
        for unit in load_manifest().data_sources
    }
    assert searched["selectRecordById"] == ["search"]
    assert searched["selectModel"] == ["nameSearch"]
    assert searched["selectMethod"] == ["search"]


def test_describe_keeps_its_documented_contract(capsys):
    """What a platform imports validates against schemas/describe.schema.json, format version 1."""
    from jsonschema import Draft202012Validator

    from odoo_connector.manifest import describe_schema_path

    assert main(["describe"]) == 0
    described = json.loads(capsys.readouterr().out)
    schema = json.loads(describe_schema_path().read_text())
    Draft202012Validator.check_schema(schema)
    assert list(Draft202012Validator(schema).iter_errors(described)) == []
    assert described["formatVersion"] == 1


def test_a_describe_that_breaks_the_contract_and_an_unknown_format_are_reported(tree):
    edit_yaml(tree, lambda data: by_key(data["actions"], "listModels").update(key="list_models"))
    assert "describe: $.actions[" in "\n".join(problems(tree))
    assert any("'list_models' does not match" in p for p in problems(tree))
    edit_yaml(tree, lambda data: data.update(formatVersion=2))
    clear_manifest_cache()
    with pytest.raises(ManifestError, match=r"\$\.formatVersion: Input should be 1"):
        load_manifest(str(tree / "connector.yaml"))
    clear_manifest_cache()
