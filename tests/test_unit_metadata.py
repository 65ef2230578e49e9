"""Every unit says whether it only reads, is destructive, is safe to retry and which Odoo groups
it needs (docs/manifest.md): required, checked by `validate`, and shown by `describe`."""

from __future__ import annotations

import json

import pytest

from odoo_connector.cli import main
from odoo_connector.manifest import ManifestError, clear_manifest_cache, load_manifest

from .test_manifest_errors import by_key, edit_yaml, problems, tree  # noqa: F401

FLAGS = ("readOnly", "destructive", "idempotent", "groups")


def test_describe_shows_every_units_metadata(capsys):
    assert main(["describe"]) == 0
    described = json.loads(capsys.readouterr().out)
    units = described["actions"] + described["dataSources"] + described["triggers"]
    assert len(units) == sum(1 for _ in load_manifest().units())  # every unit, however many
    for unit in units:
        assert {flag: type(unit[flag]) for flag in FLAGS} == {
            "readOnly": bool,
            "destructive": bool,
            "idempotent": bool,
            "groups": list,
        }, unit["key"]
    # what a host relies on, for the units where a wrong flag would do harm
    assert all(u["readOnly"] for u in described["dataSources"])
    assert by_key(units, "deleteRecords")["destructive"] and by_key(units, "callMethod")["destructive"]
    assert not by_key(units, "createRecord")["idempotent"] and not by_key(units, "postMessage")["idempotent"]
    assert by_key(units, "updateRecord")["idempotent"] and not by_key(units, "updateRecord")["readOnly"]
    assert by_key(units, "setExternalId")["groups"] == ["Access Rights"]


@pytest.mark.parametrize("flag", FLAGS)
def test_a_unit_without_a_flag_is_a_manifest_error(tree, flag, capsys):  # noqa: F811
    edit_yaml(tree, lambda data: by_key(data["actions"], "createRecord").pop(flag))
    clear_manifest_cache()
    with pytest.raises(ManifestError, match=rf"\.{flag}: Field required"):
        load_manifest(str(tree / "connector.yaml"))
    assert main(["validate", "--manifest", str(tree / "connector.yaml")]) == 2
    clear_manifest_cache()


def test_contradicting_flags_are_problems(tree):  # noqa: F811
    def change(data):
        by_key(data["dataSources"], "selectModel")["destructive"] = True
        by_key(data["actions"], "getRecordById")["idempotent"] = False
        by_key(data["actions"], "setExternalId")["groups"] = ["Access Rights", "Access Rights", " "]

    edit_yaml(tree, change)
    found = problems(tree)
    assert (
        "connector.yaml: dataSource selectModel: $.destructive: a readOnly unit cannot be destructive"
        in found
    )
    assert (
        "connector.yaml: action getRecordById: $.idempotent: a readOnly unit is idempotent "
        "(a read is safe to retry)" in found
    )
    assert "connector.yaml: action setExternalId: $.groups[2]: empty group name" in found
    assert "connector.yaml: action setExternalId: $.groups: a group is named twice" in found
