"""Manifest: load, grant, revoke, save (format kept, atomic), bad JSON."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from appevents import catalog
from appevents.errors import ConfigurationError, ManifestError, UnknownName
from appevents.manifest import GrantChange, Manifest, PermissionGrant
from appevents.manifest.jsonfile import detect_indent

BASE = {
    "id": "com.example.app",
    "version": "1.2.3",
    "name": "Example App",
    "icon": "./example_icon_32.png",
    "permissions": [],
}


def write(path: Path, data: Any, indent: str | int = 2) -> Path:
    path.write_text(json.dumps(data, indent=indent) + "\n")
    return path


def official_validator(*, backend_only: bool) -> jsonschema.Draft7Validator:
    schema = catalog.manifest_schema()
    if backend_only:
        schema["required"].remove("ui_extension")
    return jsonschema.Draft7Validator(schema)


def test_grant_appends_and_saves(tmp_path: Path) -> None:
    path = write(tmp_path / "stripe-app.json", BASE)
    manifest = Manifest.load(path)
    outcome = manifest.grant_permission("payment_intent_read", "Read payments")
    assert (outcome.change, outcome.permission, outcome.previous_purpose) == (
        GrantChange.ADDED,
        "payment_intent_read",
        None,
    )
    manifest.save()
    saved = json.loads(path.read_text())
    assert saved["permissions"] == [
        {"permission": "payment_intent_read", "purpose": "Read payments"}
    ]
    assert list(saved) == list(BASE)
    official_validator(backend_only=True).validate(saved)


def test_regranting_updates_the_purpose_and_says_so(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path / "m.json", copy.deepcopy(BASE))
    manifest.grant_permission("event_read", "old")
    outcome = manifest.grant_permission("event_read", "new")
    assert outcome.change is GrantChange.PURPOSE_UPDATED
    assert outcome.previous_purpose == "old"
    assert manifest.permissions == (PermissionGrant("event_read", "new"),)
    assert manifest.grant_permission("event_read", "new").change is GrantChange.UNCHANGED


def test_grant_refuses_unknown_names_with_suggestions(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path / "m.json", copy.deepcopy(BASE))
    with pytest.raises(UnknownName) as info:
        manifest.grant_permission("checkout_sessions_read", "x")
    assert info.value.suggestions[0] == "checkout_session_read"
    assert manifest.data["permissions"] == []


def test_grant_refuses_an_empty_purpose(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path / "m.json", copy.deepcopy(BASE))
    with pytest.raises(ConfigurationError, match="purpose of event_read is empty"):
        manifest.grant_permission("event_read", "  ")


def test_grant_of_a_schema_typo_writes_the_correct_spelling(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path / "m.json", copy.deepcopy(BASE))
    outcome = manifest.grant_permission("shpping_rate_write", "Ship")
    assert (outcome.permission, outcome.requested) == ("shipping_rate_write", "shpping_rate_write")
    assert manifest.has_permission("shpping_rate_write")
    assert manifest.grant_permission("shipping_rate_write", "Ship").change is GrantChange.UNCHANGED


def test_grant_creates_permissions_when_absent(tmp_path: Path) -> None:
    data = {k: v for k, v in BASE.items() if k != "permissions"}
    manifest = Manifest(tmp_path / "m.json", data)
    manifest.grant_permission("event_read", "Read webhook event data")
    assert list(manifest.data)[-1] == "permissions"


def test_grant_refuses_a_permissions_value_that_is_not_a_list(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path / "m.json", {**BASE, "permissions": {"event_read": "x"}})
    with pytest.raises(ManifestError, match="permissions: must be a list of"):
        manifest.grant_permission("event_read", "x")


def test_revoke(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path / "m.json", copy.deepcopy(BASE))
    manifest.grant_permission("event_read", "a")
    manifest.grant_permission("charge_read", "b")
    assert manifest.revoke_permission("event_read") == PermissionGrant("event_read", "a")
    assert manifest.permissions == (PermissionGrant("charge_read", "b"),)
    with pytest.raises(ManifestError, match=r"event_read is not granted.*granted: charge_read"):
        manifest.revoke_permission("event_read")
    with pytest.raises(UnknownName) as info:
        manifest.revoke_permission("charge_reed")
    assert info.value.suggestions[0] == "charge_read"


def test_revoke_removes_a_name_stripe_no_longer_documents(tmp_path: Path) -> None:
    data = {**BASE, "permissions": [{"permission": "legacy_read", "purpose": "x"}]}
    manifest = Manifest(tmp_path / "m.json", data)
    assert manifest.revoke_permission("legacy_read").permission == "legacy_read"
    assert manifest.data["permissions"] == []


@pytest.mark.parametrize("indent", [2, 4, "\t"])
def test_save_keeps_key_order_and_indentation(tmp_path: Path, indent: str | int) -> None:
    data = {
        "name": "N",
        "id": "a.b",
        "icon": "",
        "version": "1",
        "permissions": [],
        "constants": {},
    }
    path = write(tmp_path / "stripe-app.json", data, indent)
    manifest = Manifest.load(path)
    manifest.grant_permission("event_read", "Read webhook event data")
    manifest.save()
    expected = dict(data)
    expected["permissions"] = [{"permission": "event_read", "purpose": "Read webhook event data"}]
    assert path.read_text() == json.dumps(expected, indent=indent) + "\n"


def test_save_keeps_non_ascii_text(tmp_path: Path) -> None:
    path = write(tmp_path / "stripe-app.json", {**BASE, "name": "Café"})
    manifest = Manifest.load(path)
    manifest.grant_permission("event_read", "Lire les événements")
    manifest.save()
    assert '"name": "Café"' in path.read_text(encoding="utf-8")
    assert "Lire les événements" in path.read_text(encoding="utf-8")


def test_detect_indent() -> None:
    assert detect_indent('{\n    "a": 1\n}') == "    "
    assert detect_indent('{\n\t"a": 1\n}') == "\t"
    assert detect_indent('{"a": 1}') == "  "


def test_bad_json_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "stripe-app.json"
    path.write_text('{\n  "id": "com.example.app",\n  "version": 1.2.3\n}\n')
    with pytest.raises(ManifestError) as info:
        Manifest.load(path)
    assert str(info.value).startswith(f"{path}:3:17: invalid JSON: Expecting ',' delimiter")
    assert "line 3, column 17" in str(info.value)


def test_missing_file_and_non_object(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="no such file; run the command in your app's"):
        Manifest.load(tmp_path / "stripe-app.json")
    (tmp_path / "list.json").write_text("[]")
    with pytest.raises(ManifestError, match="must be a JSON object"):
        Manifest.load(tmp_path / "list.json")


def test_a_failed_write_leaves_the_original_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "stripe-app.json", BASE)
    original = path.read_bytes()
    manifest = Manifest.load(path)
    manifest.grant_permission("event_read", "Read webhook event data")

    def fail(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(ManifestError, match=r"cannot write the manifest: .*No space left"):
        manifest.save()
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stripe-app.json"]


def test_an_interrupted_write_leaves_the_original_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "stripe-app.json", BASE)
    original = path.read_bytes()
    manifest = Manifest.load(path)
    manifest.grant_permission("event_read", "Read webhook event data")

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        manifest.save()
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stripe-app.json"]


def test_save_keeps_the_file_mode(tmp_path: Path) -> None:
    path = write(tmp_path / "stripe-app.json", BASE)
    path.chmod(0o600)
    manifest = Manifest.load(path)
    manifest.grant_permission("event_read", "x")
    manifest.save()
    assert path.stat().st_mode & 0o777 == 0o600


def test_local_manifest_inherits_permissions_of_its_base(tmp_path: Path) -> None:
    base = {**BASE, "permissions": [{"permission": "event_read", "purpose": "x"}]}
    write(tmp_path / "stripe-app.json", base)
    local = write(tmp_path / "stripe-app.dev.json", {"extends": "stripe-app.json", "name": "Dev"})
    manifest = Manifest.load(local)
    assert manifest.is_local
    assert manifest.granted_permissions() == {"event_read"}
    assert manifest.validate() == []


def test_save_refuses_a_manifest_stripe_would_reject_and_says_why(tmp_path: Path) -> None:
    data = {**BASE, "id": "my app", "version": ""}
    path = write(tmp_path / "stripe-app.json", data)
    before = path.read_bytes()
    manifest = Manifest.load(path)
    manifest.grant_permission("event_read", "Read webhook event data")
    with pytest.raises(ManifestError) as caught:
        manifest.save()
    assert str(caught.value) == (
        f"{path}: not saved, the manifest has 2 errors (fix them, then retry): "
        "id: must contain only letters, digits, '_', '-' and '.' (got \"my app\"); "
        'fix: use an id like "com.example.app" | '
        'version: must not be empty (got ""); fix: use any non-empty version, e.g. "1.0.0"'
    )
    assert path.read_bytes() == before


def test_save_writes_a_grant_that_makes_the_manifest_valid(tmp_path: Path) -> None:
    data = {key: value for key, value in BASE.items() if key != "permissions"}
    path = write(tmp_path / "stripe-app.json", data)
    assert Manifest.load(path).errors() != []  # permissions is required
    manifest = Manifest.load(path)
    manifest.grant_permission("event_read", "Read webhook event data")
    manifest.save()
    assert Manifest.load(path).errors() == []
