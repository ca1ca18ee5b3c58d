"""``/v2/core/event_destinations``: create, list, retrieve, update, delete, enable, disable
and ping, on the account the request acts on.

A ``webhook_endpoint`` destination is delivered as a webhook endpoint is (signed with its
``whsec_``, Stripe's retries, every attempt recorded, disabled when failing too long):
``snapshot`` ones get v1 events, exactly as an endpoint would, ``thin`` ones thin events;
``events_from`` ``@self`` is the account's own events, ``@accounts`` those of the accounts
it manages (a Connect endpoint's: connected accounts, or an app's installs with the
permission). Amazon EventBridge and Azure Event Grid destinations are accepted with the
configuration Stripe requires, and stay disabled as Stripe's do until their partner source
exists in the cloud account, which offline it never does: ``status_details`` says so.
"""

from __future__ import annotations

from typing import Any

from ... import catalog
from ..callers import Caller
from ..service import Sandbox
from ..state import apps
from ..state import event_destinations as store
from ..state.event_destinations import Destination
from ..state.records import Endpoint
from . import destination_params as checks
from . import params
from .calls import Route, V2Call
from .errors import V2Error, v2_errors
from .thin import emit_thin, related, rfc3339

__all__ = ["routes"]

_PATH = "/v2/core/event_destinations"
_OBJECT = "v2.core.event_destination"
_DISABLED_REASON = {
    "amazon_eventbridge": "no_aws_event_source_exists",
    "azure_event_grid": "no_azure_partner_topic_exists",
}
MAX_DESTINATIONS = 16  # per account and mode, as webhook endpoints


def routes(sandbox: Sandbox) -> list[Route]:
    def found(call: V2Call, caller: Caller) -> Destination:
        caller.require("webhook")
        return store.get_destination(
            sandbox.db, call.path_params["id"], account=caller.account, livemode=caller.livemode
        )

    @v2_errors
    def create(call: V2Call, caller: Caller, raw: dict[str, Any]) -> Any:
        caller.require("webhook", write=True)
        params.known_only(raw, checks.CREATE)
        name = params.required_str(raw, "name", "a label for the destination")
        kind = checks.choice(raw, "type", checks.TYPES)
        payload = checks.choice(raw, "event_payload", checks.PAYLOADS)
        enabled = checks.enabled_events(raw, payload)
        scopes = checks.events_from(raw)
        version = params.optional_str(raw, "snapshot_api_version")
        if version is not None and payload == "thin":
            raise V2Error(
                "snapshot_api_version is for snapshot destinations only: thin events are not "
                "pinned to an API version. Leave it out.",
                param="snapshot_api_version",
            )
        included = checks.include(raw)
        for other in ("webhook_endpoint", *checks.PROVIDER_FIELDS):
            if other != kind and other in raw:
                raise V2Error(f"{other} is only for a destination of type {other}, not {kind}",
                              param=other)  # fmt: skip
        url, fields = "", dict[str, Any](type=kind, name=name)
        if kind == "webhook_endpoint":
            url = checks.url(raw)
        else:
            fields[kind] = _provider_object(sandbox, kind, checks.provider(raw, kind))
            fields["status_details"] = {"disabled": {"reason": _DISABLED_REASON[kind]}}
        existing = store.list_destinations(
            sandbox.db, account=caller.account, livemode=caller.livemode
        )
        if len(existing) >= MAX_DESTINATIONS:
            raise V2Error(f"Account {caller.account} has the maximum of {MAX_DESTINATIONS} event "
                          "destinations: delete one first")  # fmt: skip
        now = sandbox.clock()
        fields.update(created=rfc3339(now), updated=rfc3339(now))
        connect = "@accounts" in scopes
        owner_apps = [a.id for a in apps.list_apps(sandbox.db) if a.owner == caller.account]
        endpoint = Endpoint(
            id=sandbox.ids.new("ed" if caller.livemode else "ed_test", 44),
            account=caller.account, livemode=caller.livemode, connect=connect,
            application=owner_apps[0] if connect and owner_apps else None, url=url,
            enabled_events=enabled,
            status="enabled" if kind == "webhook_endpoint" else "disabled",
            secret=sandbox.ids.secret(), api_version=version,
            description=params.optional_str(raw, "description") or "",
            metadata=checks.metadata(raw) if "metadata" in raw else {}, created=int(now),
            payload=payload, also_own=connect and "@self" in scopes, destination=True,
        )  # fmt: skip
        with sandbox.transaction() as db:
            destination = store.save(db, Destination(endpoint, scopes, fields))
        return _api(destination, included)

    @v2_errors
    def list_all(call: V2Call, caller: Caller, raw: dict[str, Any]) -> Any:
        caller.require("webhook")
        params.known_only(raw, ("include", "limit", "page"))
        included = checks.include(raw, ("webhook_endpoint.url",))
        limit = params.limit(raw)
        rows = store.list_destinations(sandbox.db, account=caller.account,
                                       livemode=caller.livemode)  # fmt: skip
        start = _offset(raw)
        page = rows[start : start + limit]
        more = len(rows) > start + limit
        return {
            "data": [_api(d, included) for d in page],
            "next_page_url": f"{_PATH}?limit={limit}&page={start + limit}" if more else None,
            "previous_page_url": f"{_PATH}?limit={limit}&page={max(0, start - limit)}"
            if start
            else None,
        }

    @v2_errors
    def retrieve(call: V2Call, caller: Caller, raw: dict[str, Any]) -> Any:
        params.known_only(raw, ("include",))
        return _api(found(call, caller), checks.include(raw, ("webhook_endpoint.url",)))

    @v2_errors
    def update(call: V2Call, caller: Caller, raw: dict[str, Any]) -> Any:
        destination = found(call, caller)
        caller.require("webhook", write=True)
        params.known_only(raw, checks.UPDATE)
        included = checks.include(raw, ("webhook_endpoint.url",))
        endpoint, fields = destination.endpoint, dict(destination.fields)
        changes: dict[str, Any] = {}
        if "name" in raw:
            fields["name"] = params.required_str(raw, "name", "a label for the destination")
        if "description" in raw:
            changes["description"] = params.optional_str(raw, "description") or ""
        if "enabled_events" in raw:
            changes["enabled_events"] = checks.enabled_events(raw, endpoint.payload)
        if "metadata" in raw:
            changes["metadata"] = checks.metadata(raw, endpoint.metadata)
        if "webhook_endpoint" in raw:
            if fields["type"] != "webhook_endpoint":
                raise V2Error(f"webhook_endpoint is only for webhook_endpoint destinations, "
                              f"not {fields['type']}", param="webhook_endpoint")  # fmt: skip
            changes["url"] = checks.url(raw)
        fields["updated"] = rfc3339(sandbox.clock())
        return _save(destination, endpoint.changed(**changes), fields, included)

    def _save(
        old: Destination, endpoint: Endpoint, fields: dict[str, Any], included: set[str]
    ) -> Any:
        with sandbox.transaction() as db:
            saved = store.save(db, Destination(endpoint, old.events_from, fields))
        return _api(saved, included)

    @v2_errors
    def delete(call: V2Call, caller: Caller, raw: dict[str, Any]) -> Any:
        destination = found(call, caller)
        caller.require("webhook", write=True)
        with sandbox.transaction() as db:
            store.delete_destination(db, destination.endpoint.id)
        return {"id": destination.endpoint.id, "object": _OBJECT, "deleted": True}

    def switch(enable: bool) -> Any:
        @v2_errors
        def run(call: V2Call, caller: Caller, raw: dict[str, Any]) -> Any:
            destination = found(call, caller)
            caller.require("webhook", write=True)
            params.known_only(raw, ())
            fields = dict(destination.fields)
            kind = fields["type"]
            if enable and kind != "webhook_endpoint":
                raise V2Error(
                    f"Event destination {destination.endpoint.id} cannot be enabled: its "
                    f"{kind} partner source does not exist (offline, it never will)",
                    code="destination_not_ready",
                )
            fields["status_details"] = None if enable else {"disabled": {"reason": "user"}}
            fields["updated"] = rfc3339(sandbox.clock())
            endpoint = destination.endpoint.changed(
                status="enabled" if enable else "disabled",
                failing_since=None if enable else destination.endpoint.failing_since,
            )
            answer = _save(destination, endpoint, fields, set())
            if enable:
                sandbox.on_delivery_due()  # retries held while it was disabled
            return answer

        return run

    @v2_errors
    def ping(call: V2Call, caller: Caller, raw: dict[str, Any]) -> Any:
        destination = found(call, caller)
        caller.require("webhook", write=True)
        params.known_only(raw, ())
        target = destination.endpoint.id
        return emit_thin(
            sandbox, caller.account, caller.livemode, "v2.core.event_destination.ping",
            related_object=related(target, _OBJECT, f"{_PATH}/{target}"),
            request_id=call.request_id, idempotency_key=call.idempotency_key, to=target,
        )  # fmt: skip

    one = _PATH + "/{id}"
    return [
        ("POST", _PATH, create),
        ("GET", _PATH, list_all),
        ("GET", one, retrieve),
        ("POST", one, update),
        ("DELETE", one, delete),
        ("POST", one + "/enable", switch(True)),
        ("POST", one + "/disable", switch(False)),
        ("POST", one + "/ping", ping),
    ]


def _offset(raw: dict[str, Any]) -> int:
    page = raw.get("page", 0)
    try:
        return max(0, int(page))
    except (TypeError, ValueError):
        raise V2Error(f"Invalid page: {str(page)[:60]!r}: use a list's next_page_url",
                      param="page") from None  # fmt: skip


def _provider_object(sandbox: Sandbox, kind: str, given: dict[str, str]) -> dict[str, str]:
    """What Stripe shows of a partner source it created in the cloud account: here,
    pending for ever."""
    if kind == "amazon_eventbridge":
        source = sandbox.ids.new("stripe.com/ed", 20)
        return {
            "aws_account_id": given["aws_account_id"],
            "aws_event_source_arn": f"arn:aws:events:{given['aws_region']}::event-source/"
            f"aws.partner/{source}",
            "aws_event_source_status": "pending",
        }
    return {
        "azure_partner_topic_name": sandbox.ids.new("stripe", 20),
        "azure_partner_topic_status": "never_activated",
        "azure_region": given["azure_region"],
        "azure_resource_group_name": given["azure_resource_group_name"],
        "azure_subscription_id": given["azure_subscription_id"],
    }


def _api(destination: Destination, included: set[str]) -> dict[str, Any]:
    """The v2.core.event_destination object: every field the object has (null where none
    was set); the webhook's URL and signing secret only where ``include`` asks for them."""
    e, fields = destination.endpoint, destination.fields
    body: dict[str, Any] = dict.fromkeys(catalog.v2_fields(_OBJECT))
    body.update(fields)
    body.update(
        id=e.id, object=_OBJECT, livemode=e.livemode, description=e.description or "",
        enabled_events=list(e.enabled_events), event_payload=e.payload,
        events_from=list(destination.events_from), metadata=dict(e.metadata) or None,
        snapshot_api_version=e.api_version, status=e.status,
    )  # fmt: skip
    if fields["type"] == "webhook_endpoint":
        body["webhook_endpoint"] = {
            "signing_secret": e.secret if "webhook_endpoint.signing_secret" in included else None,
            "url": e.url if "webhook_endpoint.url" in included else None,
        }
    if e.status == "disabled" and body.get("status_details") is None:
        body["status_details"] = {"disabled": {"reason": "user"}}  # disabled for failing
    return body
