"""The installation lifecycle as a pure function of (event, current state).

Stripe does not order deliveries, so every rule compares the events' ``created`` (then,
within a second, an uninstall after an install, then id), never their arrival:

- ``account.application.authorized`` newer than the last lifecycle event installs the
  app on the account, or re-activates and updates it; ``on_install`` runs.
- ``account.application.deauthorized`` newer than the last lifecycle event, and not older
  than a business event already seen (which proves a later re-install), uninstalls it:
  ``on_uninstall`` runs once and the account's stored payloads up to that moment are
  erased. A stale one still erases the payloads it covers and keeps older events out.
- Any other event implies an installation (Stripe only sends events of accounts that
  installed the app): a never-seen account, or one uninstalled before the event, becomes
  active (``on_install`` runs with ``source == "implied"``). An event from before the
  last uninstall belongs to a past installation: recorded, its payload erased, not
  dispatched.

Whatever the arrival order, the installation's final state is the one the ``created``
order gives (see tests/receiver/test_installations.py, which checks every permutation).

The thin twins (``v1.account.application.authorized`` / ``…deauthorized``, from an event
destination with thin payloads) have the same effect: an app that only receives thin
events still learns of its uninstalls, and still erases the account's data.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from ..event import Event

__all__ = ["AUTHORIZED", "DEAUTHORIZED", "Installation", "Plan", "plan"]

AUTHORIZED = "account.application.authorized"
DEAUTHORIZED = "account.application.deauthorized"
_AUTHORIZED = (AUTHORIZED, "v1." + AUTHORIZED)
_DEAUTHORIZED = (DEAUTHORIZED, "v1." + DEAUTHORIZED)

Status = Literal["active", "uninstalled"]
Source = Literal["authorized", "implied"]


@dataclass(frozen=True, slots=True)
class Installation:
    account: str
    livemode: bool
    status: Status
    source: Source
    """How the app came to be considered installed: an authorized event, or implied."""
    application_id: str | None = None
    application_name: str | None = None
    installed_at: int | None = None
    """``created`` of the event that (re)installed the app."""
    uninstalled_at: int | None = None
    lifecycle_created: int | None = None
    lifecycle_event_id: str | None = None
    """The newest authorized/deauthorized event applied, (created, id)."""
    last_deauthorized_at: int | None = None
    """``created`` of the newest deauthorization seen: older events belong to the past."""
    active_since_evidence: int | None = None
    """Newest ``created`` of a business event dispatched: proof of installation then."""

    @property
    def active(self) -> bool:
        return self.status == "active"

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class Plan:
    """What processing one event does to its account's installation."""

    installation: Installation | None
    """The state to save, or None when it does not change."""
    run_install: bool = False
    run_uninstall: bool = False
    dispatch: bool = True
    """Run the business handlers registered for the event's type."""
    erase_through: int | None = None
    """Erase the account's stored payloads with ``created`` up to this value."""


def plan(event: Event, current: Installation | None) -> Plan:
    """Decide the effect of ``event`` (which has an ``account``) on ``current``."""
    assert event.account is not None, "platform events have no installation"
    if event.type in _AUTHORIZED:
        return _authorized(event, current)
    if event.type in _DEAUTHORIZED:
        return _deauthorized(event, current)
    return _business(event, current)


def _newer_than_lifecycle(event: Event, current: Installation | None) -> bool:
    """Compare (created, uninstall, id): ``created`` has whole seconds, so an install and
    an uninstall in the same second have no order; the uninstall wins, which never keeps
    data an uninstall should have erased (a reinstall in that second shows again with the
    app's next event, which implies it)."""
    if current is None or current.lifecycle_created is None:
        return True
    current_is_uninstall = current.last_deauthorized_at == current.lifecycle_created
    return (event.created, event.type in _DEAUTHORIZED, event.id) > (
        current.lifecycle_created,
        current_is_uninstall,
        current.lifecycle_event_id or "",
    )


def _authorized(event: Event, current: Installation | None) -> Plan:
    same_second_as_uninstall = current is not None and current.last_deauthorized_at == event.created
    if not _newer_than_lifecycle(event, current) or same_second_as_uninstall:
        assert current is not None
        past = (
            current.last_deauthorized_at is not None
            and event.created <= current.last_deauthorized_at
        )
        # An authorization from an installation period that has ended: its payload goes too.
        return Plan(None, dispatch=False, erase_through=event.created if past else None)
    app_id, app_name = event.object.get("id"), event.object.get("name")
    base = current or Installation(event.account or "", event.livemode, "active", "authorized")
    installation = replace(
        base,
        status="active",
        source="authorized",
        application_id=app_id if isinstance(app_id, str) else base.application_id,
        application_name=app_name if isinstance(app_name, str) else base.application_name,
        installed_at=event.created,
        uninstalled_at=None,
        lifecycle_created=event.created,
        lifecycle_event_id=event.id,
    )
    return Plan(installation, run_install=True)


def _deauthorized(event: Event, current: Installation | None) -> Plan:
    last_deauth = max(event.created, (current and current.last_deauthorized_at) or event.created)
    evidence = current.active_since_evidence if current else None
    proves_reinstall = evidence is not None and event.created < evidence
    if not _newer_than_lifecycle(event, current) or proves_reinstall:
        # Stale: a later install is known. Its past installation's payloads still go.
        assert current is not None
        if last_deauth == current.last_deauthorized_at:
            return Plan(None, dispatch=False, erase_through=event.created)
        return Plan(
            replace(current, last_deauthorized_at=last_deauth),
            dispatch=False,
            erase_through=event.created,
        )
    base = current or Installation(event.account or "", event.livemode, "uninstalled", "authorized")
    installation = replace(
        base,
        status="uninstalled",
        uninstalled_at=event.created,
        lifecycle_created=event.created,
        lifecycle_event_id=event.id,
        last_deauthorized_at=last_deauth,
    )
    was_active = current is None or current.active
    return Plan(installation, run_uninstall=was_active, erase_through=event.created)


def _business(event: Event, current: Installation | None) -> Plan:
    if (
        current is not None
        and current.last_deauthorized_at is not None
        and event.created <= current.last_deauthorized_at
    ):
        return Plan(None, dispatch=False, erase_through=event.created)
    if current is None or not current.active:
        base = current or Installation(event.account or "", event.livemode, "active", "implied")
        implied = replace(
            base,
            status="active",
            source="implied",
            installed_at=event.created,
            uninstalled_at=None,
            active_since_evidence=event.created,
        )
        return Plan(implied, run_install=True)
    if current.active_since_evidence is None or event.created > current.active_since_evidence:
        return Plan(replace(current, active_since_evidence=event.created))
    return Plan(None)
