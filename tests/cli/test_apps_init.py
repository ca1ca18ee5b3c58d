"""appevents apps init: the stripe-app.json `stripe apps create` writes, without its UI part."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from appevents.cli.main import cli
from appevents.manifest import Manifest

CREATED = """\
{
  "id": "com.example.myapp",
  "version": "0.0.1",
  "name": "My App",
  "icon": "",
  "permissions": []
}
"""


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["apps", *args], catch_exceptions=False)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "payment-totals"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def test_init_writes_a_manifest_that_grant_and_validate_accept(project: Path) -> None:
    result = run("init", "--id", "com.example.myapp", "--name", "My App")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "✔ Created stripe-app.json for com.example.myapp (My App), version 0.0.1",
        "Next, grant the permissions your events need, e.g.:",
        '  appevents apps grant permission event_read "Read webhook event data"',
        "  appevents apps check --app MODULE:APP",
    ]
    assert (project / "stripe-app.json").read_text() == CREATED
    assert Manifest.load(project / "stripe-app.json").errors() == []
    granted = run("grant", "permission", "event_read", "Read webhook event data")
    assert granted.exit_code == 0, granted.output
    assert run("validate").exit_code == 0


def test_without_options_the_id_and_name_come_from_the_folder(project: Path) -> None:
    result = run("init")
    assert result.exit_code == 0, result.output
    data = json.loads((project / "stripe-app.json").read_text())
    assert (data["id"], data["name"]) == ("com.example.payment-totals", "Payment Totals")


def test_the_name_defaults_to_the_ids_last_part(project: Path) -> None:
    assert run("init", "--id", "io.acme.shipping_labels").exit_code == 0
    assert json.loads((project / "stripe-app.json").read_text())["name"] == "Shipping Labels"


def test_manifest_option_and_version(project: Path) -> None:
    (project / "app").mkdir()
    result = run("init", "--id", "a.b", "--version", "2.0", "--manifest", "app/stripe-app.json")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("✔ Created app/stripe-app.json for a.b (B), version 2.0\n")
    assert json.loads((project / "app" / "stripe-app.json").read_text())["version"] == "2.0"


@pytest.mark.parametrize("existing", ["file", "symlink", "dangling symlink"])
def test_init_never_overwrites(project: Path, existing: str) -> None:
    path = project / "stripe-app.json"
    if existing == "file":
        path.write_text('{"id": "mine"}\n')
    else:
        (project / "elsewhere.json").write_text('{"id": "mine"}\n')
        path.symlink_to("elsewhere.json")
        if existing == "dangling symlink":
            (project / "elsewhere.json").unlink()
    before = sorted((p.name, p.is_symlink()) for p in project.iterdir())
    result = run("init", "--id", "com.example.myapp")
    assert result.exit_code == 1
    assert result.output == (
        "Error: stripe-app.json already exists, so init left it alone; edit it with "
        "`appevents apps grant permission`, or pass --manifest NEW_PATH\n"
    )
    assert sorted((p.name, p.is_symlink()) for p in project.iterdir()) == before
    if existing == "file":
        assert path.read_text() == '{"id": "mine"}\n'


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--id", "my app"],
            "Error: Invalid value for --id: \"my app\" must contain only letters, digits, '_', "
            "'-' and '.'; use an id like \"com.example.app\"",
        ),
        (
            ["--id", "com.example/app"],
            'Error: Invalid value for --id: "com.example/app" must contain only letters, '
            "digits, '_', '-' and '.'; use an id like \"com.example.app\"",
        ),
        (
            ["--id", ""],
            "Error: Invalid value for --id: \"\" must contain only letters, digits, '_', "
            "'-' and '.'; use an id like \"com.example.app\"",
        ),
        (
            ["--id", "a.b", "--name", ""],
            'Error: Invalid value for --name: "" must not be empty; give the app the name '
            "users will see",
        ),
        (
            ["--id", "a.b", "--version", ""],
            'Error: Invalid value for --version: "" must not be empty; use any non-empty '
            'version, e.g. "1.0.0"',
        ),
    ],
)
def test_bad_values_are_refused_as_stripe_refuses_them(
    project: Path, args: list[str], message: str
) -> None:
    result = run("init", *args)
    assert (result.exit_code, result.output) == (2, message + "\n")
    assert list(project.iterdir()) == []


def test_a_folder_name_that_makes_no_id_asks_for_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "日本"
    folder.mkdir()
    monkeypatch.chdir(folder)
    result = run("init")
    assert (result.exit_code, result.output) == (
        2,
        "Error: Missing option --id: the folder name 日本 makes no app id; "
        "pass one, e.g. --id com.example.myapp\n",
    )
    assert list(folder.iterdir()) == []


def test_a_missing_manifest_points_at_init(project: Path) -> None:
    result = run("grant", "permission", "event_read", "Read webhook event data")
    assert result.exit_code == 1
    assert result.output == (
        "Error: stripe-app.json: no such file; run the command in your app's directory "
        "(where stripe-app.json is), pass --manifest PATH, or create one: "
        "run: appevents apps init --id com.example.myapp\n"
    )
    elsewhere = run("validate", "--manifest", "app/stripe-app.json")
    assert elsewhere.output.endswith(
        "run: appevents apps init --id com.example.myapp --manifest app/stripe-app.json\n"
    )
