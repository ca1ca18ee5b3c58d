"""``account.application.authorized`` and ``account.application.deauthorized``: install or
uninstall the caller's app on the target account (the ``--stripe-account`` one).

The Stripe CLI has no authorized fixture, and its deauthorized one sets up its own account
(it creates one and deletes it); here both act on a real install, so the app's installation
lifecycle runs exactly as it would for a merchant. Run on the caller's own account with no
install to remove, deauthorized sets one up likewise: a new account installs the app, then
uninstalls it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..state import apps
from ..state.db import loads
from ..stripe_errors import InvalidRequest
from .engine import SUCCESS_LINE, TriggerResult
from .paths import apply_edit, check_step, parse_edits

if TYPE_CHECKING:
    from ..callers import Caller
    from ..service import Sandbox

__all__ = ["APP_EVENT_STEPS", "run_app_event"]

APP_EVENT_STEPS = {
    "account.application.authorized": "authorize",
    "account.application.deauthorized": "deauthorize",
}


def run_app_event(
    sandbox: Sandbox,
    caller: Caller,
    name: str,
    *,
    add: Iterable[str] = (),
    override: Iterable[str] = (),
    remove: Iterable[str] = (),
    skip: Iterable[str] = (),
    app: str | None = None,
) -> TriggerResult:
    step = APP_EVENT_STEPS[name]
    chosen = _chosen_app(sandbox, caller, app)
    current = apps.get_install(sandbox.db, caller.account, chosen.id)
    installed = current is not None and current.active
    params: dict[str, Any] = {}
    if step == "authorize":  # re-authorizing keeps the install's mode
        params["mode"] = current.mode if installed and current else _mode_of(caller)
    skipped = list(skip)
    for each in skipped:
        check_step(each, [step], recipe=name, option=f"--skip {each!r}")
    for kind, raw in (("override", override), ("add", add), ("remove", remove)):
        for edit in parse_edits(kind, raw, [step], recipe=name):  # type: ignore[arg-type]
            apply_edit(params, edit, {})
    if skipped:
        return TriggerResult(name, name, [], [], [SUCCESS_LINE])
    set_up = step == "deauthorize" and not installed
    if set_up and caller.account != caller.key_account:
        raise InvalidRequest(
            f"App {chosen.id} ({chosen.manifest_id}) is not installed on {caller.account}, so "
            f"it cannot be deauthorized: install it there first (`appevents apps install "
            f"--account {caller.account}`), or trigger without --stripe-account to use a new "
            "account, as `stripe trigger` does",
            param="app",
        )
    (before,) = sandbox.db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()
    lines = [f"Setting up fixture for: {step}"]
    note, account, steps = "", caller.account, [step]
    with sandbox.transaction():
        if set_up:
            account = sandbox.create_account(caller.key_account, {"type": "standard"})["id"]
            sandbox.install(chosen.id, account, mode=_mode_of(caller))
            lines = [f"Setting up fixture for: account ({account}, installing {chosen.id})"]
            note = (
                f"{chosen.id} was not installed on {caller.account}: the fixture's setup made "
                f"account {account} and installed it there (authorized), then uninstalled it"
            )
            steps = ["account", step]
        if step == "authorize":
            sandbox.install(chosen.id, account, mode=str(params.get("mode")))
        else:
            sandbox.uninstall(chosen.id, account)
    rows = sandbox.db.execute(
        "SELECT body FROM events WHERE seq > ? ORDER BY seq", (before,)
    ).fetchall()
    lines += [f"Running fixture for: {step}", SUCCESS_LINE]
    if step == "authorize" and installed:
        note = f"{chosen.id} was already installed on {caller.account}: re-authorized (upgrade)"
    return TriggerResult(name, name, steps, [loads(r["body"]) for r in rows], lines, note)


def _chosen_app(sandbox: Sandbox, caller: Caller, app: str | None) -> apps.AppRecord:
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
