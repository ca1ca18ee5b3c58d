"""Which webhook endpoints receive an event: a pure function of the sandbox's state.

The delivery engine asks :func:`route_event` once per event and records both halves of the
answer: the :class:`Route` list drives delivery, the :class:`Withheld` list lets ``listen`` and
the dashboard explain why an endpoint the developer expected to fire stayed silent.

Stripe's rules, as modelled here (reference: Stripe facts §2, §5, §6.1, §6.4):

* **Own endpoints** (``connect`` false) of the event's account receive its events of their own
  mode (live endpoints live events, test endpoints test events), when enabled and selected by
  ``enabled_events``.
* **App Connect endpoints** (``connect`` true, ``application`` set) receive the events of every
  account that installed the app, when the app's current manifest grants ``event_read`` plus at
  least one of the event type's permissions (§6.4), and the install mode allows the pair of
  modes (§6.1): ``live`` live→live; ``test`` test→test; ``live+test`` test→test and live,
  live→live. ``sandbox`` installs are simplified to test→test: in Stripe they deliver to the
  developer's managed sandbox, whose events and endpoints are all test-mode.
* **Plain Connect endpoints** (``connect`` true, no ``application``) of platform P receive the
  events of accounts connected to P, without a permission check; live ones also get the
  connected accounts' test events, test ones get test events only (§5).
* ``account.application.authorized`` / ``deauthorized`` are "sent to the related application
  only" (§6.1): only the Connect endpoints of the app named by ``data.object.id`` (given as
  :attr:`EventToRoute.application`), never the account's own endpoints. A deauthorization is
  emitted as the install is removed, so for that event type (and that app) an *inactive*
  installation still counts as installed.

``enabled_events`` entries are exact types or ``*``; Stripe has no prefix wildcards there, but
the sandbox also accepts ``prefix.*`` (matching deeper types too, as ``charge.*`` matches
``charge.dispute.created``) because appevents' CLI creates endpoints with them. Stripe's ``*``
excludes "selection required" types; the catalog does not mark them, so here ``*`` means all.

When an endpoint fails several rules, the first one in this order is reported: relationship
(installed / connected / right application), endpoint status, mode, permission, selection.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, NamedTuple, get_args

from ..catalog import (
    EventInfo,
    ThinEventInfo,
    event_info,
    is_known_event_type,
    is_thin_event_type,
    thin_event_info,
)
from ..errors import ConfigurationError

__all__ = [
    "APPLICATION_EVENT_TYPES",
    "App",
    "EventToRoute",
    "InstallMode",
    "Installation",
    "Route",
    "Routing",
    "WebhookEndpoint",
    "Withheld",
    "WithheldReason",
    "enabled_events_select",
    "install_mode_allows",
    "route_event",
]

InstallMode = Literal["live", "test", "live+test", "sandbox"]
EndpointStatus = Literal["enabled", "disabled"]
WithheldReason = Literal[
    "application_only",  # an account.application.* event of another app (or own endpoint)
    "unknown_application",  # the endpoint names an app the sandbox does not know
    "application_owner_mismatch",  # the endpoint's owner is not the app's developer
    "not_installed",  # the endpoint's app is not installed on the event's account
    "not_connected",  # the event's account is not connected to the endpoint's platform
    "endpoint_disabled",
    "livemode_mismatch",  # own / plain Connect endpoint of the other mode
    "install_mode",  # the install mode does not deliver this event mode to this endpoint mode
    "no_known_permission",  # no permission is known that lets an app receive the type
    "missing_permission",  # the app's manifest lacks event_read or the event's permission
    "event_not_selected",  # enabled_events does not select the type
]

EVENT_READ = "event_read"
DEAUTHORIZED = "account.application.deauthorized"
APPLICATION_EVENT_TYPES = frozenset({"account.application.authorized", DEAUTHORIZED})

_INSTALL_MODE_RULES: dict[str, str] = {
    "live": "live events to live endpoints only",
    "test": "test events to test endpoints only",
    "live+test": "test events to test and live endpoints, live events to live endpoints only",
    "sandbox": "test events to test endpoints only",
}


def _mode(livemode: bool) -> str:
    return "live" if livemode else "test"


@dataclass(frozen=True, slots=True)
class EventToRoute:
    """The event: ``account`` is the account it happened on (the platform's own id for its own
    events); ``application`` is ``data.object.id`` of ``account.application.*`` events."""

    id: str
    type: str
    account: str
    livemode: bool
    application: str | None = None

    def __post_init__(self) -> None:
        if self.type in APPLICATION_EVENT_TYPES and not self.application:
            raise ConfigurationError(
                f"event {self.id} ({self.type}) has application={self.application!r}: expected "
                "the ca_ id of data.object, because Stripe sends it to that application only"
            )


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    """A webhook endpoint; ``application`` is the owner's app id when the owner is an app
    developer (its Connect endpoints then follow the app's installs and permissions)."""

    id: str
    owner_account: str
    url: str
    enabled_events: tuple[str, ...]
    connect: bool = False
    livemode: bool = False
    status: EndpointStatus = "enabled"
    application: str | None = None
    also_own: bool = False
    """A Connect endpoint that gets its owner's own events too, as an own endpoint does (a
    v2 event destination with ``events_from`` ``@self`` and ``@accounts``)."""

    def __post_init__(self) -> None:
        if not isinstance(self.enabled_events, tuple) or not all(
            isinstance(entry, str) for entry in self.enabled_events
        ):
            raise ConfigurationError(
                f"endpoint {self.id}: enabled_events={self.enabled_events!r}: expected a tuple "
                "of event types, e.g. ('*',) or ('payment_intent.succeeded',)"
            )
        if self.status not in get_args(EndpointStatus):
            raise ConfigurationError(
                f"endpoint {self.id}: status={self.status!r}: expected 'enabled' or 'disabled'"
            )


@dataclass(frozen=True, slots=True)
class Installation:
    """An app installed on an account; ``active`` is false once it was uninstalled."""

    account: str
    application: str
    mode: InstallMode
    active: bool = True

    def __post_init__(self) -> None:
        if self.mode not in get_args(InstallMode):
            raise ConfigurationError(
                f"installation of {self.application} on {self.account}: mode={self.mode!r}: "
                f"expected one of {', '.join(get_args(InstallMode))}"
            )


@dataclass(frozen=True, slots=True)
class App:
    """An app: its developer's platform account and the permissions its current manifest
    version grants."""

    id: str
    owner_account: str
    granted_permissions: frozenset[str]


@dataclass(frozen=True, slots=True)
class Route:
    endpoint_id: str
    reason: Literal["own", "connect"]


@dataclass(frozen=True, slots=True)
class Withheld:
    endpoint_id: str
    reason_code: WithheldReason
    message: str


class Routing(NamedTuple):
    """Both halves of the answer, each sorted by endpoint id."""

    routes: tuple[Route, ...]
    withheld: tuple[Withheld, ...]


def enabled_events_select(enabled_events: Iterable[str], event_type: str) -> bool:
    """Whether an endpoint's ``enabled_events`` selects ``event_type``: ``*``, the exact type,
    or (appevents' extension) ``prefix.*``."""
    for entry in enabled_events:
        if entry in ("*", event_type):
            return True
        if entry.endswith(".*") and event_type.startswith(entry[:-1]):
            return True
    return False


def install_mode_allows(mode: InstallMode, event_livemode: bool, endpoint_livemode: bool) -> bool:
    """The install-mode table of Stripe facts §6.1 (``sandbox`` simplified to test→test)."""
    if mode == "live":
        return event_livemode and endpoint_livemode
    if mode == "live+test":
        return endpoint_livemode or not event_livemode
    return not event_livemode and not endpoint_livemode


def route_event(
    event: EventToRoute,
    endpoints: Iterable[WebhookEndpoint],
    *,
    installations: Iterable[Installation] = (),
    apps: Iterable[App] = (),
    connections: Mapping[str, str] | None = None,
) -> Routing:
    """The endpoints that receive ``event`` and, for every other endpoint it could plausibly
    have gone to (the account's own endpoints and every Connect endpoint), why it did not.

    ``connections`` maps a connected account to the platform that created it
    (``POST /v1/accounts``). Other accounts' own endpoints are left out of both halves.
    """
    endpoint_list = sorted(endpoints, key=lambda endpoint: endpoint.id)
    _require_unique("endpoint", [endpoint.id for endpoint in endpoint_list])
    app_list = list(apps)
    _require_unique("app", [app.id for app in app_list])
    apps_by_id = {app.id: app for app in app_list}
    install_list = tuple(installations)
    routes: list[Route] = []
    withheld: list[Withheld] = []
    for endpoint in endpoint_list:
        if endpoint.connect and endpoint.also_own and endpoint.owner_account == event.account:
            refusal = _own_refusal(event, endpoint)
        elif endpoint.connect and endpoint.application is None:
            refusal = _platform_refusal(event, endpoint, connections or {})
        elif endpoint.connect:
            app = apps_by_id.get(endpoint.application or "")
            refusal = _app_refusal(event, endpoint, app, install_list)
        elif endpoint.owner_account == event.account:
            refusal = _own_refusal(event, endpoint)
        else:
            continue
        if refusal is None:
            routes.append(Route(endpoint.id, "connect" if endpoint.connect else "own"))
        else:
            withheld.append(Withheld(endpoint.id, *refusal))
    return Routing(tuple(routes), tuple(withheld))


_Refusal = tuple[WithheldReason, str] | None
"""Why an endpoint does not get the event (reason code, message), or None: it does."""


def _require_unique(kind: str, ids: list[str]) -> None:
    duplicates = sorted({name for name in ids if ids.count(name) > 1})
    if duplicates:
        raise ConfigurationError(
            f"{kind} ids must be unique, got {', '.join(duplicates)} more than once: "
            f"pass each {kind} once"
        )


def _own_refusal(event: EventToRoute, endpoint: WebhookEndpoint) -> _Refusal:
    if event.type in APPLICATION_EVENT_TYPES:
        return "application_only", (
            f"{event.type} is sent to the related application {event.application} only, "
            f"not to {event.account}'s own endpoint {endpoint.id}"
        )
    if endpoint.status != "enabled":
        return "endpoint_disabled", f"endpoint {endpoint.id} is disabled"
    if endpoint.livemode != event.livemode:
        return "livemode_mismatch", (
            f"endpoint {endpoint.id} is a {_mode(endpoint.livemode)}-mode endpoint; "
            f"it does not receive {_mode(event.livemode)} events"
        )
    return _selection_refusal(event, endpoint)


def _platform_refusal(
    event: EventToRoute, endpoint: WebhookEndpoint, connections: Mapping[str, str]
) -> _Refusal:
    """A plain Connect platform's endpoint: connected accounts' events, no permission check."""
    platform = endpoint.owner_account
    if event.type in APPLICATION_EVENT_TYPES:
        return "application_only", (
            f"{event.type} is sent to the related application {event.application} only, "
            f"not to Connect endpoint {endpoint.id} of platform {platform}"
        )
    if event.account == platform:
        return "not_connected", (
            f"Connect endpoint {endpoint.id} receives the events of accounts connected to "
            f"{platform}, not {platform}'s own"
        )
    if connections.get(event.account) != platform:
        return "not_connected", f"{event.account} is not connected to platform {platform}"
    if endpoint.status != "enabled":
        return "endpoint_disabled", f"endpoint {endpoint.id} is disabled"
    if event.livemode and not endpoint.livemode:
        return "livemode_mismatch", (
            f"test-mode Connect endpoint {endpoint.id} does not receive live events "
            "(live Connect endpoints receive both)"
        )
    return _selection_refusal(event, endpoint)


def _app_refusal(
    event: EventToRoute,
    endpoint: WebhookEndpoint,
    app: App | None,
    installations: tuple[Installation, ...],
) -> _Refusal:
    """An app developer's Connect endpoint: installs, install mode and the manifest decide."""
    if app is None:
        return "unknown_application", (
            f"Connect endpoint {endpoint.id} belongs to app {endpoint.application}, "
            "which the sandbox does not know"
        )
    if app.owner_account != endpoint.owner_account:
        return "application_owner_mismatch", (
            f"Connect endpoint {endpoint.id} is owned by {endpoint.owner_account}, "
            f"but app {app.id} is developed by {app.owner_account}"
        )
    if event.type in APPLICATION_EVENT_TYPES and event.application != app.id:
        return "application_only", (
            f"{event.type} of {event.application} is sent to that application only, "
            f"not to endpoint {endpoint.id} of app {app.id}"
        )
    matching = [i for i in installations if (i.account, i.application) == (event.account, app.id)]
    installs = [i for i in matching if i.active]
    if not installs and event.type == DEAUTHORIZED and event.application == app.id:
        installs = matching  # the install this very event removes: Stripe still tells the app
    if not installs:
        verb = "was uninstalled from" if matching else "is not installed on"
        return "not_installed", f"app {app.id} {verb} {event.account}"
    if endpoint.status != "enabled":
        return "endpoint_disabled", f"endpoint {endpoint.id} is disabled"
    if not any(install_mode_allows(i.mode, event.livemode, endpoint.livemode) for i in installs):
        delivery = f"{_mode(event.livemode)} events to {_mode(endpoint.livemode)}-mode endpoint"
        modes = sorted({install.mode for install in installs})
        if len(modes) > 1:  # the store should keep one install per app and account
            return "install_mode", (
                f"install modes {', '.join(modes)} of app {app.id} on {event.account} do not "
                f"deliver {delivery} {endpoint.id}"
            )
        return "install_mode", (
            f"install mode {modes[0]} does not deliver {delivery} {endpoint.id} "
            f"(it delivers {_INSTALL_MODE_RULES[modes[0]]})"
        )
    return _permission_refusal(event, app) or _selection_refusal(event, endpoint)


def _permission_refusal(event: EventToRoute, app: App) -> _Refusal:
    """Stripe facts §6.4: ``event_read`` plus at least one of the event type's permissions."""
    if is_thin_event_type(event.type):
        info: EventInfo | ThinEventInfo = thin_event_info(event.type)
    elif is_known_event_type(event.type):
        info = event_info(event.type)
    else:
        return "no_known_permission", (
            f"{event.type} is not a known event type, so no permission is known that lets "
            f"app {app.id} receive it"
        )
    if not info.permissions:
        return "no_known_permission", (
            f"no permission lets app {app.id} receive {event.type}: "
            "Stripe's event permissions table lists none for it"
        )
    granted = app.granted_permissions
    has_event_read = EVENT_READ in granted
    has_event_permission = any(permission in granted for permission in info.permissions)
    if has_event_read and has_event_permission:
        return None
    if has_event_permission or info.permissions == (EVENT_READ,):
        fix = f"grant {EVENT_READ}"
    else:
        recommended = getattr(info, "recommended_permission", None)
        ordered = sorted(info.permissions, key=lambda p: p != recommended)
        fix = f"grant one of {', '.join(ordered)}" + ("" if has_event_read else " (and event_read)")
    return "missing_permission", f"app {app.id} lacks permission for {event.type}: {fix}"


def _selection_refusal(event: EventToRoute, endpoint: WebhookEndpoint) -> _Refusal:
    if enabled_events_select(endpoint.enabled_events, event.type):
        return None
    return "event_not_selected", (
        f"endpoint {endpoint.id} does not select {event.type} "
        f"(enabled_events: {', '.join(endpoint.enabled_events) or 'none'})"
    )
