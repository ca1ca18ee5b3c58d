"""``appevents apps``: edit and check stripe-app.json the way the Stripe CLI's apps plugin does.

    appevents apps init [--id ID] [--name NAME] [--manifest PATH]
    appevents apps grant permission NAME "PURPOSE" [--manifest PATH]
    appevents apps revoke permission NAME [--manifest PATH]
    appevents apps validate [--manifest PATH]
    appevents apps check (--events TYPE,... | --app MODULE:APP) [--manifest PATH]

Exit codes: 0 success, 1 failure (bad manifest, unknown name, missing permissions), 2 usage.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from ..errors import AppEventsError, UnknownName
from ..manifest import (
    DEFAULT_MANIFEST,
    EVENT_READ,
    EventSelection,
    GrantChange,
    Manifest,
    default_purpose,
    grant_command,
    missing_permissions,
)
from ..manifest.jsonfile import create_json_file
from ..manifest.requirements import describe_event_types, unmapped_note
from ..manifest.scaffold import (
    EXAMPLE_ID,
    FIRST_VERSION,
    default_app_id,
    default_name,
    new_manifest,
    new_manifest_errors,
)
from .common import load_app

PERMISSIONS_DOCS = "https://docs.stripe.com/stripe-apps/reference/permissions"

manifest_option = click.option(
    "--manifest",
    "manifest_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_MANIFEST,
    show_default=True,
    help="The app manifest to read and edit.",
)


class BadValue(click.ClickException):
    """A value on the command line that cannot work: one line naming it and the fix, exit 2
    (click's usage errors would print the usage first)."""

    exit_code = 2


@contextmanager
def failures_as_click_errors() -> Iterator[None]:
    """Our errors already say what is wrong and how to fix it: print them, exit 1."""
    try:
        yield
    except UnknownName as error:
        hint = f" (see {PERMISSIONS_DOCS})" if error.kind == "permission" else ""
        raise click.ClickException(f"{error}{hint}") from None
    except AppEventsError as error:
        raise click.ClickException(str(error)) from None


@click.group(name="apps")
def apps() -> None:
    """Edit and check your Stripe App's manifest (stripe-app.json)."""


@apps.command()
@click.option(
    "--id",
    "app_id",
    metavar="ID",
    help="The app's unique id, e.g. com.example.myapp [default: com.example.<folder name>].",
)
@click.option("--name", help="The name users see [default: made from the id].")
@click.option("--version", default=FIRST_VERSION, show_default=True, help="The app's version.")
@manifest_option
def init(app_id: str | None, name: str | None, version: str, manifest_path: Path) -> None:
    """Create the manifest that `stripe apps create` writes, without its UI part."""
    if app_id is None:
        folder = manifest_path.absolute().parent.name
        app_id = default_app_id(folder)
        if app_id is None:
            raise BadValue(
                f"Missing option --id: the folder name {folder} makes no app id; "
                f"pass one, e.g. --id {EXAMPLE_ID}"
            )
    name = default_name(app_id) if name is None else name
    data = new_manifest(app_id, name, version)
    errors = new_manifest_errors(data)
    if errors:  # each can only be about the value of an option: id, name or version
        issue = errors[0]
        shown = json.dumps(issue.value, ensure_ascii=False)
        raise BadValue(f"Invalid value for --{issue.path}: {shown} {issue.message}; {issue.fix}")
    try:
        with failures_as_click_errors():
            create_json_file(manifest_path, data)
    except FileExistsError:
        raise click.ClickException(
            f"{manifest_path} already exists, so init left it alone; edit it with "
            "`appevents apps grant permission`, or pass --manifest NEW_PATH"
        ) from None
    click.echo(f"✔ Created {manifest_path} for {app_id} ({name}), version {version}")
    click.echo("Next, grant the permissions your events need, e.g.:")
    click.echo(f"  {grant_command(EVENT_READ, default_purpose(EVENT_READ), manifest_path)}")
    suffix = "" if manifest_path == Path(DEFAULT_MANIFEST) else f" --manifest {manifest_path}"
    click.echo(f"  appevents apps check --app MODULE:APP{suffix}")


@apps.group()
def grant() -> None:
    """Add to the app manifest."""


@apps.group()
def revoke() -> None:
    """Remove from the app manifest."""


@grant.command("permission")
@click.argument("name")
@click.argument("purpose")
@manifest_option
def grant_permission(name: str, purpose: str, manifest_path: Path) -> None:
    """Grant permission NAME, explaining PURPOSE to the users who install the app."""
    with failures_as_click_errors():
        manifest = Manifest.load(manifest_path)
        outcome = manifest.grant_permission(name, purpose)
        if outcome.change is not GrantChange.UNCHANGED:
            manifest.save()
    spelled = (
        f" (the schema's misspelling {name} means {outcome.permission})"
        if outcome.requested != outcome.permission
        else ""
    )
    if outcome.change is GrantChange.ADDED:
        click.echo(f"✔ Permission {outcome.permission} granted{spelled}")
    elif outcome.change is GrantChange.PURPOSE_UPDATED:
        click.echo(
            f"✔ Permission {outcome.permission} was already granted; purpose updated "
            f"from {outcome.previous_purpose!r} to {purpose!r}{spelled}"
        )
    else:
        click.echo(f"✔ Permission {outcome.permission} is already granted with that purpose")


@revoke.command("permission")
@click.argument("name")
@manifest_option
def revoke_permission(name: str, manifest_path: Path) -> None:
    """Revoke permission NAME."""
    with failures_as_click_errors():
        manifest = Manifest.load(manifest_path)
        removed = manifest.revoke_permission(name)
        manifest.save()
    click.echo(f"✔ Permission {removed.permission} revoked")


@apps.command()
@manifest_option
def validate(manifest_path: Path) -> None:
    """Check the manifest against Stripe's schema; exit 1 on errors."""
    with failures_as_click_errors():
        issues = Manifest.load(manifest_path).validate()
    errors = [issue for issue in issues if issue.severity == "error"]
    warnings = [issue for issue in issues if issue.severity == "warning"]
    for issue in errors:
        click.echo(f"✘ error: {issue}")
    for issue in warnings:
        click.echo(f"! warning: {issue}")
    if errors:
        click.echo(
            f"{manifest_path}: {_count(len(errors), 'error')}, {_count(len(warnings), 'warning')}"
        )
        sys.exit(1)
    suffix = f" ({_count(len(warnings), 'warning')})" if warnings else ""
    click.echo(f"✔ {manifest_path} is valid{suffix}")


@apps.command()
@manifest_option
@click.option(
    "--events",
    "event_patterns",
    multiple=True,
    metavar="TYPE,...",
    help="Event types to receive: exact, prefix.* or *; comma-separated or repeated.",
)
@click.option(
    "--app",
    "app_reference",
    metavar="MODULE:APP",
    help="A receiver app object; checks every event type it has handlers for.",
)
def check(manifest_path: Path, event_patterns: tuple[str, ...], app_reference: str | None) -> None:
    """List the permissions the manifest lacks to receive the events; exit 1 if any."""
    if bool(event_patterns) == bool(app_reference):
        raise click.UsageError("pass either --events TYPE,... or --app MODULE:APP (exactly one)")
    if app_reference:
        patterns = app_event_types(app_reference)
    else:
        patterns = [p.strip() for value in event_patterns for p in value.split(",") if p.strip()]
    if not patterns:
        raise click.ClickException("no event types to check: the app has no handlers")
    with failures_as_click_errors():
        selection = EventSelection.expand(patterns)
        manifest = Manifest.load(manifest_path)
        needs = missing_permissions(manifest, patterns)
    checked = selection.event_types + (("*",) if selection.wildcard else ())
    click.echo(f"Checking {manifest_path} for {describe_event_types(checked)}")
    if selection.wildcard:
        click.echo(
            "Note: * receives every event the granted permissions allow; it needs event_read only."
        )
    if selection.without_known_permission:
        click.echo(f"Note: {unmapped_note(selection.without_known_permission)}.")
    if not needs:
        click.echo(f"✔ {manifest_path} grants every permission these events need")
        return
    for need in needs:
        alternatives = f" (or {' / '.join(need.alternatives)})" if need.alternatives else ""
        click.echo(
            f"✘ Missing {need.permission}{alternatives}: "
            f"needed for {describe_event_types(need.event_types)}"
        )
    click.echo("Fix it with:")
    for need in needs:
        click.echo(f"  {need.grant_command(manifest_path)}")
    sys.exit(1)


def app_event_types(reference: str) -> list[str]:
    """The event types the handlers of the App named by MODULE:APP (imported from the cwd)
    listen to; its import failing is one line naming --app."""
    try:
        app = load_app(reference)
    except click.BadParameter as error:
        raise BadValue(f"Invalid value for --app: {error.message}") from None
    return app.event_types()


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _add_sandbox_commands() -> None:
    # The merchant's side (register, install, upgrade, uninstall) lives with the sandbox.
    from .apps_sandbox import COMMANDS

    for command in COMMANDS:
        apps.add_command(command)


_add_sandbox_commands()
