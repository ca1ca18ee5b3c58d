"""appevents apps grant|revoke|validate|check, driven through the real CLI."""

from __future__ import annotations

import json
import shlex
import sys
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner, Result

from appevents import catalog
from appevents.cli.main import cli

# Stripe's "Listen for events" guide (docs.stripe.com/stripe-apps/events): the example app...
GUIDE_START = {
    "id": "com.example.app",
    "version": "1.2.3",
    "name": "Example App",
    "icon": "./example_icon_32.png",
    "permissions": [],
}
# ...the four commands it runs...
GUIDE_GRANTS = [
    ("event_read", "Read webhook event data"),
    ("checkout_session_read", "Read Checkout Session data in webhook events"),
    ("payment_intent_read", "Read PaymentIntent data in webhook events"),
    ("setup_intent_read", "Read SetupIntent data in webhook events"),
]
# ...and the manifest it shows afterwards.
GUIDE_RESULT = """\
{
  "id": "com.example.app",
  "version": "1.2.3",
  "name": "Example App",
  "icon": "./example_icon_32.png",
  "permissions": [
    {
      "permission": "event_read",
      "purpose": "Read webhook event data"
    },
    {
      "permission": "checkout_session_read",
      "purpose": "Read Checkout Session data in webhook events"
    },
    {
      "permission": "payment_intent_read",
      "purpose": "Read PaymentIntent data in webhook events"
    },
    {
      "permission": "setup_intent_read",
      "purpose": "Read SetupIntent data in webhook events"
    }
  ]
}
"""


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["apps", *args], catch_exceptions=False)


def write_manifest(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def backend_only_validator() -> jsonschema.Draft7Validator:
    schema = catalog.manifest_schema()
    schema["required"].remove("ui_extension")
    return jsonschema.Draft7Validator(schema)


@pytest.mark.parametrize("start", ["empty permissions", "no permissions key"])
def test_the_guides_grant_commands_produce_the_guides_manifest(tmp_path: Path, start: str) -> None:
    data = dict(GUIDE_START)
    if start == "no permissions key":
        del data["permissions"]
    path = write_manifest(tmp_path / "stripe-app.json", data)
    for name, purpose in GUIDE_GRANTS:
        result = run("grant", "permission", name, purpose, "--manifest", str(path))
        assert result.exit_code == 0, result.output
        assert result.output == f"✔ Permission {name} granted\n"
    assert path.read_text() == GUIDE_RESULT
    backend_only_validator().validate(json.loads(path.read_text()))


def test_default_manifest_is_stripe_app_json_in_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_manifest(tmp_path / "stripe-app.json", GUIDE_START)
    monkeypatch.chdir(tmp_path)
    assert run("grant", "permission", "event_read", "Read webhook event data").exit_code == 0
    assert json.loads((tmp_path / "stripe-app.json").read_text())["permissions"] == [
        {"permission": "event_read", "purpose": "Read webhook event data"}
    ]


def test_every_manifest_written_validates_against_the_official_schema(tmp_path: Path) -> None:
    full = {
        **GUIDE_START,
        "ui_extension": {"views": [{"viewport": "settings", "component": "AppSettings"}]},
        "distribution_type": "public",
    }
    path = write_manifest(tmp_path / "stripe-app.json", full)
    validator = jsonschema.Draft7Validator(catalog.manifest_schema())
    for name in ("event_read", "charge_read", "customer_read", "payout_read"):
        assert run("grant", "permission", name, "why", "--manifest", str(path)).exit_code == 0
        validator.validate(json.loads(path.read_text()))
    assert (
        run("grant", "permission", "charge_read", "new why", "--manifest", str(path)).exit_code == 0
    )
    assert run("revoke", "permission", "customer_read", "--manifest", str(path)).exit_code == 0
    written = json.loads(path.read_text())
    validator.validate(written)
    assert [p["permission"] for p in written["permissions"]] == [
        "event_read",
        "charge_read",
        "payout_read",
    ]
    assert written["permissions"][1]["purpose"] == "new why"


def test_regrant_reports_the_purpose_change(tmp_path: Path) -> None:
    path = write_manifest(tmp_path / "stripe-app.json", GUIDE_START)
    run("grant", "permission", "event_read", "old", "--manifest", str(path))
    result = run("grant", "permission", "event_read", "new", "--manifest", str(path))
    assert result.exit_code == 0
    assert result.output == (
        "✔ Permission event_read was already granted; purpose updated from 'old' to 'new'\n"
    )
    again = run("grant", "permission", "event_read", "new", "--manifest", str(path))
    assert again.output == "✔ Permission event_read is already granted with that purpose\n"


def test_grant_unknown_permission_fails_with_suggestions(tmp_path: Path) -> None:
    path = write_manifest(tmp_path / "stripe-app.json", GUIDE_START)
    before = path.read_text()
    result = run("grant", "permission", "payment_intents_read", "x", "--manifest", str(path))
    assert result.exit_code == 1
    assert (
        "Error: unknown permission 'payment_intents_read'; did you mean 'payment_intent_read'"
        in (result.output)
    )
    assert "Traceback" not in result.output
    assert path.read_text() == before


def test_revoke(tmp_path: Path) -> None:
    path = write_manifest(tmp_path / "stripe-app.json", GUIDE_START)
    run("grant", "permission", "event_read", "x", "--manifest", str(path))
    result = run("revoke", "permission", "event_read", "--manifest", str(path))
    assert (result.exit_code, result.output) == (0, "✔ Permission event_read revoked\n")
    assert json.loads(path.read_text())["permissions"] == []
    again = run("revoke", "permission", "event_read", "--manifest", str(path))
    assert again.exit_code == 1
    assert "permission event_read is not granted, so there is nothing to revoke" in again.output


def test_bad_json_is_reported_with_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "stripe-app.json"
    path.write_text('{\n  "id": "x",\n}\n')
    result = run("grant", "permission", "event_read", "x", "--manifest", str(path))
    assert result.exit_code == 1
    assert f"Error: {path}:3:1: invalid JSON" in result.output


def test_missing_manifest(tmp_path: Path) -> None:
    result = run("validate", "--manifest", str(tmp_path / "stripe-app.json"))
    assert result.exit_code == 1
    assert "no such file" in result.output


def test_validate_reports_errors_and_warnings(tmp_path: Path) -> None:
    data = {**GUIDE_START, "id": "bad id", "permissions": [{"permission": "event_read"}]}
    path = write_manifest(tmp_path / "stripe-app.json", data)
    result = run("validate", "--manifest", str(path))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "✘ error: id: must contain only letters, digits, '_', '-' and '.' (got \"bad id\"); "
        'fix: use an id like "com.example.app"',
        '✘ error: permissions[0].purpose: is required; fix: add "purpose": why the app needs it '
        "(users see this when installing)",
        "! warning: ui_extension: is missing: fine for a backend-only app, but `stripe apps "
        'upload` requires it; fix: add "ui_extension": {"views": []} before uploading',
        f"{path}: 2 errors, 1 warning",
    ]


def test_validate_passes_a_backend_only_app_with_a_warning(tmp_path: Path) -> None:
    path = write_manifest(tmp_path / "stripe-app.json", GUIDE_START)
    result = run("validate", "--manifest", str(path))
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == f"✔ {path} is valid (1 warning)"


def test_check_lists_missing_permissions_and_fix_commands(tmp_path: Path) -> None:
    path = write_manifest(tmp_path / "stripe-app.json", GUIDE_START)
    result = run(
        "check",
        "--events",
        "payment_intent.succeeded,setup_intent.succeeded",
        "--manifest",
        str(path),
    )
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"Checking {path} for payment_intent.succeeded, setup_intent.succeeded",
        "✘ Missing event_read: needed for payment_intent.succeeded, setup_intent.succeeded",
        "✘ Missing payment_intent_read (or checkout_session_read): needed for "
        "payment_intent.succeeded",
        "✘ Missing setup_intent_read (or checkout_session_read): needed for setup_intent.succeeded",
        "Fix it with:",
        f'  appevents apps grant permission event_read "Read webhook event data" --manifest {path}',
        "  appevents apps grant permission payment_intent_read "
        f'"Read PaymentIntent data in webhook events" --manifest {path}',
        "  appevents apps grant permission setup_intent_read "
        f'"Read SetupIntent data in webhook events" --manifest {path}',
    ]


def test_the_printed_fix_commands_fix_the_manifest(tmp_path: Path) -> None:
    path = write_manifest(tmp_path / "stripe-app.json", GUIDE_START)
    events = ["--events", "charge.*", "--events", "customer.created", "--manifest", str(path)]
    result = run("check", *events)
    commands = [line.strip() for line in result.output.splitlines() if line.startswith("  ")]
    assert len(commands) == 4  # event_read, charge_read, dispute_read, customer_read
    for command in commands:
        argv = shlex.split(command)
        assert argv[:2] == ["appevents", "apps"]
        assert run(*argv[2:]).exit_code == 0
    fixed = run("check", *events)
    assert fixed.exit_code == 0
    assert fixed.output.splitlines()[-1] == f"✔ {path} grants every permission these events need"


def test_check_wildcard_needs_only_event_read(tmp_path: Path) -> None:
    path = write_manifest(tmp_path / "stripe-app.json", GUIDE_START)
    result = run("check", "--events", "*", "--manifest", str(path))
    assert result.exit_code == 1
    assert "Note: * receives every event the granted permissions allow" in result.output
    assert [line for line in result.output.splitlines() if line.startswith("✘")] == [
        "✘ Missing event_read: needed for any event"
    ]


def test_check_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("check").exit_code == 2
    both = run("check", "--events", "charge.succeeded", "--app", "x:app")
    assert both.exit_code == 2
    assert "exactly one" in both.output
    bad_app = run("check", "--app", "no_colon")
    assert bad_app.exit_code == 2
    assert "is not MODULE:APP" in bad_app.output


def test_check_unknown_event_type_fails_cleanly(tmp_path: Path) -> None:
    path = write_manifest(tmp_path / "stripe-app.json", GUIDE_START)
    result = run("check", "--events", "charge.succeded", "--manifest", str(path))
    assert result.exit_code == 1
    assert "unknown event type 'charge.succeded'; did you mean 'charge.succeeded'" in result.output


@pytest.fixture
def fake_app_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A module in the cwd whose `app` is a receiver App with handlers."""
    name = f"fake_receiver_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(
        textwrap.dedent(
            """
            from appevents import App

            app = App()
            app.on("payment_intent.*", "*")(lambda event: None)
            app.on_install(lambda event: None)
            not_an_app = 42
            """
        )
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, name, raising=False)
    return name


def test_check_app_reads_the_receivers_handlers(tmp_path: Path, fake_app_module: str) -> None:
    write_manifest(tmp_path / "stripe-app.json", GUIDE_START)
    result = run("check", "--app", f"{fake_app_module}:app")
    assert result.exit_code == 1
    missing = [line for line in result.output.splitlines() if line.startswith("✘")]
    assert missing[0].startswith("✘ Missing event_read: needed for payment_intent.")
    assert missing[1:] == [
        "✘ Missing payment_intent_read (or checkout_session_read): needed for "
        "payment_intent.amount_capturable_updated, payment_intent.canceled, "
        "payment_intent.created and 5 more"
    ]
    for name, purpose in GUIDE_GRANTS[:1] + GUIDE_GRANTS[2:3]:
        run("grant", "permission", name, purpose)
    assert run("check", "--app", f"{fake_app_module}:app").exit_code == 0


def test_check_app_errors(fake_app_module: str) -> None:
    not_app = run("check", "--app", f"{fake_app_module}:not_an_app")
    assert (not_app.exit_code, not_app.output) == (
        2,
        f"Error: Invalid value for --app: {fake_app_module}:not_an_app is a int, "
        "not an appevents.App\n",
    )
    missing_attr = run("check", "--app", f"{fake_app_module}:nope")
    assert missing_attr.exit_code == 2
    assert "has no attribute 'nope'" in missing_attr.output
    missing_module = run("check", "--app", "no_such_module_xyz:app")
    assert missing_module.exit_code == 2
    assert "cannot import module 'no_such_module_xyz'" in missing_module.output
