"""The v2 Accounts API: ``/v2/core/accounts`` (create, list, retrieve, update, close), and
the thin events that are its calls' consequences, emitted on the account that made the call
(the platform: its own events about its accounts, ``context`` null unless the platform is
itself another's connected account or has apps installed):

- create: ``v2.core.account.created``; each requested capability answers ``pending``, then
  gets its status (accounts_model.py), each a ``v2.core.account[configuration.X]
  .capability_status_updated``, and ``v2.core.account[requirements].updated`` when
  requirements appear;
- update: ``v2.core.account.updated`` for the top-level fields (``contact_email``,
  ``display_name``, ``dashboard``, ``contact_phone``, ``metadata``),
  ``v2.core.account[identity].updated``, ``[defaults].updated``,
  ``[configuration.X].updated`` for the parts changed, then statuses and requirements again;
- close: ``v2.core.account.closed``.

Apps acting on an installed account need ``connected_account_read`` (Stripe has no
``connected_account_write``). A v2 account is a v1 account too: accounts_v1.py.
"""

from __future__ import annotations

import copy
from typing import Any

from ..callers import Caller
from ..service import Sandbox
from ..state import accounts, v2_accounts
from ..stripe_errors import ResourceMissing
from . import accounts_model, accounts_pages
from .accounts_params import checked
from .accounts_v1 import create_v1, sync_v1
from .calls import Route, V2Call
from .errors import V2Error, v2_errors
from .thin import emit_thin, related

__all__ = ["account_of", "emit_account_event", "routes"]

PATH = "/v2/core/accounts"
_TOP_LEVEL = ("contact_email", "contact_phone", "dashboard", "display_name", "metadata")


def account_of(sandbox: Sandbox, caller: Caller, account_id: str) -> dict[str, Any]:
    """The account ``caller`` made (404 otherwise, whether it exists or not, and once its
    platform deleted it through v1's ``DELETE /v1/accounts/{id}``)."""
    caller.require("connected_account")
    body = v2_accounts.get_account(
        sandbox.db, account_id, platform=caller.account, livemode=caller.livemode
    )
    try:
        accounts.get_account(sandbox.db, account_id)
    except ResourceMissing:
        raise ResourceMissing("v2.core.account", account_id) from None
    return body


def emit_account_event(
    sandbox: Sandbox, caller: Caller, call: V2Call, event_type: str, account_id: str,
    data: dict[str, Any] | None = None, changes: dict[str, Any] | None = None,
) -> None:  # fmt: skip
    emit_thin(
        sandbox, caller.account, caller.livemode, event_type,
        related_object=related(account_id, "v2.core.account", f"{PATH}/{account_id}"),
        data=data, changes=changes, request_id=call.request_id,
        idempotency_key=call.idempotency_key,
    )  # fmt: skip


def routes(sandbox: Sandbox) -> list[Route]:
    def decided(caller: Caller, call: V2Call, body: dict[str, Any]) -> None:
        """Statuses and requirements decided anew, saved, their events emitted (with
        ``changes``: the capability's status, the requirements, before and after)."""
        before = copy.deepcopy(body)
        moved, requirements = accounts_model.decide(body)
        v2_accounts.save_account(sandbox.db, body)
        for config, capability, _status in moved:
            path = ("configuration", config, "capabilities", *capability.split("."), "status")
            emit_account_event(
                sandbox, caller, call,
                f"v2.core.account[configuration.{config}].capability_status_updated",
                body["id"], {"updated_capability": capability},
                accounts_model.changes(before, body, *path),
            )  # fmt: skip
        if requirements:
            emit_account_event(sandbox, caller, call, "v2.core.account[requirements].updated",
                               body["id"], changes=accounts_model.changes(
                                   before, body, "requirements"))  # fmt: skip
        sync_v1(sandbox, body, call.request_id)

    @v2_errors
    def create(call: V2Call, caller: Caller, raw: dict[str, Any]) -> Any:
        caller.require("connected_account")
        params = checked("v2.core.account.create", raw)
        _no_token(params)
        include = params.pop("include", None)
        now = sandbox.clock()
        with sandbox.transaction() as db:
            draft = accounts_model.new_account("", params, caller.livemode, now)
            account_id = create_v1(sandbox, caller.account, draft)
            body = accounts_model.new_account(account_id, params, caller.livemode, now)
            v2_accounts.insert_account(db, body, caller.account)
            answer = accounts_model.render(body, include)  # capabilities still pending
            emit_account_event(sandbox, caller, call, "v2.core.account.created", account_id)
            decided(caller, call, body)
        return answer

    @v2_errors
    def retrieve(call: V2Call, caller: Caller, raw: dict[str, Any]) -> Any:
        params = checked("v2.core.account.retrieve", raw, query=True)
        body = account_of(sandbox, caller, call.path_params["id"])
        return accounts_model.render(body, params.get("include"))

    @v2_errors
    def update(call: V2Call, caller: Caller, raw: dict[str, Any]) -> Any:
        body = account_of(sandbox, caller, call.path_params["id"])
        params = checked("v2.core.account.update", raw)
        _no_token(params)
        include = params.pop("include", None)
        if body["closed"]:
            raise V2Error(
                f"Account {body['id']} is closed: a closed account can no longer be updated",
                code="account_closed",
            )
        with sandbox.transaction():
            before = copy.deepcopy(body)
            changed = accounts_model.merge(body, params, sandbox.clock())
            v2_accounts.save_account(sandbox.db, body)
            if "account" in changed:
                top = {k: v for k, v in before.items() if k in _TOP_LEVEL}
                emit_account_event(
                    sandbox, caller, call, "v2.core.account.updated", body["id"],
                    changes=accounts_model.changes(
                        top, {k: v for k, v in body.items() if k in _TOP_LEVEL}),
                )  # fmt: skip
            for part in ("identity", "defaults", *(f"configuration.{c}" for c in
                         accounts_model.CONFIGURATIONS)):  # fmt: skip
                if part in changed:
                    emit_account_event(
                        sandbox, caller, call, f"v2.core.account[{part}].updated", body["id"],
                        changes=accounts_model.changes(before, body, *part.split(".")),
                    )  # fmt: skip
            decided(caller, call, body)
        return accounts_model.render(body, include)

    @v2_errors
    def close(call: V2Call, caller: Caller, raw: dict[str, Any]) -> Any:
        body = account_of(sandbox, caller, call.path_params["id"])
        params = checked("v2.core.account.close", raw)
        if body["closed"]:
            raise V2Error(f"Account {body['id']} is already closed", code="account_closed")
        given = params.get("applied_configurations")
        applied = body["applied_configurations"]
        if given is not None and sorted(set(given)) != sorted(applied):
            raise V2Error(
                f"Invalid applied_configurations: {', '.join(given) or 'none'}: closing needs "
                f"every configuration the account has: {', '.join(applied) or 'none'}",
                param="applied_configurations",
            )
        with sandbox.transaction():
            body["closed"] = True
            for name in applied:
                body["configuration"][name]["applied"] = False
            body["applied_configurations"] = []
            v2_accounts.save_account(sandbox.db, body)
            emit_account_event(sandbox, caller, call, "v2.core.account.closed", body["id"])
            sync_v1(sandbox, body, call.request_id)
        return accounts_model.render(body, None)

    @v2_errors
    def list_accounts(call: V2Call, caller: Caller, raw: dict[str, Any]) -> Any:
        caller.require("connected_account")

        def filters_of(given: dict[str, Any]) -> dict[str, Any]:
            params = checked("v2.core.account.list", given, query=True)
            limit = params.get("limit", 10)
            if not 1 <= limit <= 100:
                raise V2Error(f"Invalid limit: {limit}: an integer from 1 to 100", param="limit")
            return {**params, "limit": limit}

        filters, where = accounts_pages.position(raw, filters_of)
        if "page" in raw and len(raw) > 1:
            raise V2Error("A page token carries the list's filters: send page alone",
                          param=next(k for k in raw if k != "page"))  # fmt: skip

        def lister(f: dict[str, Any], before: int | None, after: int | None) -> Any:
            return v2_accounts.list_accounts(
                sandbox.db, platform=caller.account, livemode=caller.livemode,
                closed=f.get("closed"), applied=f.get("applied_configurations") or [],
                limit=f["limit"], before=before, after=after,
            )  # fmt: skip

        return accounts_pages.answer(PATH, filters, where, lister,
                                     lambda body: accounts_model.render(body, None))  # fmt: skip

    return [
        ("POST", PATH, create),
        ("GET", PATH, list_accounts),
        ("GET", PATH + "/{id}", retrieve),
        ("POST", PATH + "/{id}", update),
        ("POST", PATH + "/{id}/close", close),
    ]


def _no_token(params: dict[str, Any]) -> None:
    if params.get("account_token") is not None:
        raise V2Error(
            "account_token: the sandbox has no account tokens; send the fields themselves "
            "(identity, defaults, ...) in the request",
            param="account_token",
        )
