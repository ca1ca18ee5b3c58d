"""``appevents trigger NAME``: a fixture's API calls, run in-process as the caller.

One road, as at Stripe: a trigger is the calls its fixture (fixtures/data) makes, through
the same operations an HTTP client reaches (api_calls.ApiCalls.call_as), so the events are
the consequences of those calls, exactly those ``stripe trigger NAME --api-base …`` gets.
The caller acts as the ``Stripe-Account`` rules allow; an app caller's calls need the
permissions of what they write, and a refused one names the permission and the commands
that grant it.

The two app events run the fixtures that install or uninstall the caller's app on the
account (``${.env:APPEVENTS_APP}``, ``${.env:APPEVENTS_MODE}``): authorizing again keeps
the install's mode; deauthorizing an app that is installed only uninstalls it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from . import fixtures
from .fixtures import runner
from .state import apps
from .state.db import loads
from .stripe_errors import InvalidRequest

if TYPE_CHECKING:
    from .callers import Caller
    from .service import Sandbox

__all__ = ["SUCCESS_LINE", "InProcessCalls", "TriggerResult", "run"]

SUCCESS_LINE = "Trigger succeeded! Check dashboard for event details."
_AUTHORIZED = "account.application.authorized"
_DEAUTHORIZED = "account.application.deauthorized"


class InProcessCalls(Protocol):
    """API calls run in-process through the operations (api_calls.ApiCalls)."""

    def call_as(
        self, caller: Caller, method: str, path: str, params: dict[str, Any]
    ) -> tuple[int, Any]: ...


@dataclass(frozen=True, slots=True)
class TriggerResult:
    name: str
    steps_run: list[str]
    events: list[dict[str, Any]]
    """Every event the calls caused, oldest first (a new connected account's too)."""
    lines: list[str]
    """What the Stripe CLI prints for the same run."""
    note: str = ""
    answers: dict[str, Any] = field(default_factory=dict)


def run(
    sandbox: Sandbox,
    calls: InProcessCalls,
    caller: Caller,
    name: str,
    *,
    add: Iterable[str] = (),
    override: Iterable[str] = (),
    remove: Iterable[str] = (),
    skip: Iterable[str] = (),
    app: str | None = None,
) -> TriggerResult:
    """Run the fixture ``name`` as ``caller`` (on the lane: nothing else runs meanwhile, so
    the events after the first one's sequence number are this run's).

    Raises InvalidRequest for an unknown name (with the closest ones) or a bad option, and
    fixtures.runner.StepFailed for a step answering an error its fixture does not expect.
    """
    fixture = fixtures.fixture(name)
    skipped, env, note = list(skip), {}, ""
    if name in (_AUTHORIZED, _DEAUTHORIZED):
        chosen = chosen_app(sandbox, caller, app)
        current = apps.get_install(sandbox.db, caller.account, chosen.id)
        installed = current is not None and current.active
        mode = current.mode if installed and current is not None else _mode_of(caller)
        env = {"APPEVENTS_APP": chosen.id, "APPEVENTS_MODE": mode}
        if name == _DEAUTHORIZED and installed:
            skipped.append("install")
        elif name == _DEAUTHORIZED:
            note = f"{chosen.id} was not installed on {caller.account}: installed, then uninstalled"
        elif installed:
            note = f"{chosen.id} was already installed on {caller.account}: authorized again"
    (before,) = sandbox.db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()
    result = runner.run(
        fixture,
        lambda method, path, params: calls.call_as(caller, method, path, params),
        add=add, override=override, remove=remove, skip=skipped, env=env,
    )  # fmt: skip
    rows = sandbox.db.execute(
        "SELECT body FROM events WHERE seq > ? ORDER BY seq", (before,)
    ).fetchall()
    steps = [step.name for step in result.steps]
    lines = [f"{verb} fixture for: {step}" for step in steps for verb in ("Setting up", "Running")]
    return TriggerResult(
        name, steps, [loads(row["body"]) for row in rows], [*lines, SUCCESS_LINE], note,
        result.answers,
    )  # fmt: skip


def chosen_app(sandbox: Sandbox, caller: Caller, app: str | None) -> apps.AppRecord:
    """The app an app event installs: ``app`` (an id or manifest id) among the caller's, or
    another's that an account installs on itself; else the caller's only one."""
    owned = [a for a in apps.list_apps(sandbox.db) if a.owner == caller.key_account]
    if app is not None:
        for candidate in owned:
            if app in (candidate.id, candidate.manifest_id):
                return candidate
        if caller.account == caller.key_account:  # an account installs others' apps on itself
            named = [a for a in apps.list_apps(sandbox.db) if app in (a.id, a.manifest_id)]
            if len(named) == 1:
                return named[0]
        names = ", ".join(f"{a.id} ({a.manifest_id})" for a in owned) or "none"
        raise InvalidRequest(
            f"Invalid --app {app!r}: account {caller.key_account} owns no such app "
            f"(its apps: {names})",
            param="app",
        )
    if len(owned) == 1:
        return owned[0]
    if not owned:
        raise InvalidRequest(
            f"Account {caller.key_account} owns no app to install: register one first "
            "(`appevents apps register`)",
            param="app",
        )
    names = ", ".join(f"{a.id} ({a.manifest_id})" for a in owned)
    raise InvalidRequest(
        f"Account {caller.key_account} owns {len(owned)} apps: pass --app with one of {names}",
        param="app",
    )


def _mode_of(caller: Caller) -> str:
    return "live" if caller.livemode else "test"
