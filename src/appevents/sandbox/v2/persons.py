"""A v2 account's persons: ``/v2/core/accounts/{account_id}/persons`` (create, list) and
``…/persons/{id}`` (retrieve, update, delete), each write a thin event on the platform
(``v2.core.account_person.created``, ``updated``, ``deleted``, ``data.account_id``).

A deleted person's GET answers its deleted stub (``deleted: true``), as the sandbox answers
a deleted v1 customer, so the ``deleted`` event's ``related_object`` URL answers too.
"""

from __future__ import annotations

from typing import Any

from ... import catalog
from ..callers import Caller
from ..service import Sandbox
from ..state import v2_accounts
from . import accounts_pages
from . import params as v2_params
from .accounts import PATH as ACCOUNTS
from .accounts import account_of
from .accounts_model import changes
from .accounts_params import checked
from .calls import Route, V2Call
from .errors import V2Error, v2_errors
from .thin import emit_thin, related, rfc3339

__all__ = ["routes"]

OBJECT = "v2.core.account_person"


def _path(account_id: str) -> str:
    return f"{ACCOUNTS}/{account_id}/persons"


def routes(sandbox: Sandbox) -> list[Route]:
    def emit(
        caller: Caller, call: V2Call, event_type: str, person: dict[str, Any],
        changes: dict[str, Any] | None = None,
    ) -> None:  # fmt: skip
        url = f"{_path(person['account'])}/{person['id']}"
        emit_thin(
            sandbox, caller.account, caller.livemode, event_type,
            related_object=related(person["id"], OBJECT, url),
            data={"account_id": person["account"]}, changes=changes,
            request_id=call.request_id, idempotency_key=call.idempotency_key,
        )  # fmt: skip

    def writable(caller: Caller, account_id: str) -> dict[str, Any]:
        account = account_of(sandbox, caller, account_id)
        if account["closed"]:
            raise V2Error(f"Account {account_id} is closed: its persons can no longer change",
                          code="account_closed")  # fmt: skip
        return account

    @v2_errors
    def create(call: V2Call, caller: Caller, raw: dict[str, Any]) -> Any:
        account_id = call.path_params["account_id"]
        writable(caller, account_id)
        params = checked("v2.core.account_person.create", raw)
        _no_token(params)
        now = rfc3339(sandbox.clock())
        person: dict[str, Any] = {name: None for name in catalog.v2_fields(OBJECT)}
        person.update({k: v for k, v in params.items() if v is not None})
        person.update({
            "id": sandbox.ids.new("person", 24), "object": OBJECT, "account": account_id,
            "created": now, "updated": now, "livemode": caller.livemode,
            "metadata": params.get("metadata") or {},
        })  # fmt: skip
        with sandbox.transaction() as db:
            v2_accounts.insert_person(db, person)
            emit(caller, call, "v2.core.account_person.created", person)
        return person

    @v2_errors
    def retrieve(call: V2Call, caller: Caller, raw: dict[str, Any]) -> Any:
        account_of(sandbox, caller, call.path_params["account_id"])
        v2_params.known_only(raw, ())
        person, deleted = v2_accounts.get_person(
            sandbox.db, call.path_params["account_id"], call.path_params["id"]
        )
        return {"id": person["id"], "object": OBJECT, "deleted": True} if deleted else person

    @v2_errors
    def update(call: V2Call, caller: Caller, raw: dict[str, Any]) -> Any:
        account_id = call.path_params["account_id"]
        writable(caller, account_id)
        person = _live(sandbox, account_id, call.path_params["id"])
        params = checked("v2.core.account_person.update", raw)
        _no_token(params)
        before = dict(person)
        for name, value in params.items():
            if name == "metadata":
                merged = {**(person.get("metadata") or {}), **(value or {})}
                person["metadata"] = {k: v for k, v in merged.items() if v is not None}
            else:
                person[name] = value
        if person != before:
            person["updated"] = rfc3339(sandbox.clock())
            with sandbox.transaction() as db:
                v2_accounts.save_person(db, person)
                emit(caller, call, "v2.core.account_person.updated", person,
                     changes(before, person))  # fmt: skip
        return person

    @v2_errors
    def delete(call: V2Call, caller: Caller, raw: dict[str, Any]) -> Any:
        account_id = call.path_params["account_id"]
        writable(caller, account_id)
        person = _live(sandbox, account_id, call.path_params["id"])
        with sandbox.transaction() as db:
            v2_accounts.save_person(db, person, deleted=True)
            emit(caller, call, "v2.core.account_person.deleted", person)
        return {"id": person["id"], "object": OBJECT, "deleted": True}

    @v2_errors
    def list_persons(call: V2Call, caller: Caller, raw: dict[str, Any]) -> Any:
        account_id = call.path_params["account_id"]
        account_of(sandbox, caller, account_id)

        def filters_of(given: dict[str, Any]) -> dict[str, Any]:
            limit = checked("v2.core.account_person.list", given, query=True).get("limit", 10)
            if not 1 <= limit <= 100:
                raise V2Error(f"Invalid limit: {limit}: an integer from 1 to 100", param="limit")
            return {"limit": limit}

        filters, where = accounts_pages.position(raw, filters_of)

        def lister(f: dict[str, Any], before: int | None, after: int | None) -> Any:
            return v2_accounts.list_persons(sandbox.db, account_id, limit=f["limit"],
                                            before=before, after=after)  # fmt: skip

        return accounts_pages.answer(_path(account_id), filters, where, lister, lambda p: p)

    persons = ACCOUNTS + "/{account_id}/persons"
    return [
        ("POST", persons, create),
        ("GET", persons, list_persons),
        ("GET", persons + "/{id}", retrieve),
        ("POST", persons + "/{id}", update),
        ("DELETE", persons + "/{id}", delete),
    ]


def _live(sandbox: Sandbox, account_id: str, person_id: str) -> dict[str, Any]:
    person, deleted = v2_accounts.get_person(sandbox.db, account_id, person_id)
    if deleted:
        raise V2Error(f"Person {person_id} was deleted", status=404, code="resource_missing",
                      param="id")  # fmt: skip
    return person


def _no_token(params: dict[str, Any]) -> None:
    if params.get("person_token") is not None:
        raise V2Error(
            "person_token: the sandbox has no person tokens; send the person's fields "
            "themselves in the request",
            param="person_token",
        )
