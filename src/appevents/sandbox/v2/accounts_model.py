"""The ``v2.core.account`` object: built from the checked parameters, updated by merging
them, its capabilities' statuses and its requirements decided by the sandbox, and rendered
with only the parts a request ``include``s (Stripe leaves the others null).

The sandbox's decision, in place of Stripe's review: a requested capability is ``pending``
(``determining_status``) when asked for, then ``active`` once nothing it needs is missing,
else ``restricted`` with the missing fields as ``requirements.entries``. What a capability
needs (``NEEDS``): a merchant's or recipient's, the contact email, the identity's country
and entity type, the name (``identity.individual`` given name and surname for an individual,
``identity.business_details.registered_name`` otherwise) and the accepted terms of service;
a customer's, the identity's country.
"""

from __future__ import annotations

import copy
from typing import Any

from ... import catalog
from ...catalog._data import load
from .thin import rfc3339

__all__ = [
    "CONFIGURATIONS",
    "INCLUDES",
    "capability_statuses",
    "changes",
    "decide",
    "merge",
    "new_account",
    "render",
]

CONFIGURATIONS = ("customer", "merchant", "recipient")
INCLUDES = (
    "configuration.customer", "configuration.merchant", "configuration.recipient", "defaults",
    "future_requirements", "identity", "requirements",
)  # fmt: skip
_OWN_NEEDS = ("contact_email", "identity.country", "identity.entity_type")
_TERMS = "identity.attestations.terms_of_service.account"
NEEDS = {"customer": ("identity.country",), "merchant": _OWN_NEEDS, "recipient": _OWN_NEEDS}


def _type_fields(type_name: str) -> list[str]:
    types: dict[str, Any] = load("thin_events.json")["v2_params"]["types"]
    return list(types[type_name])


def new_account(
    account_id: str, params: dict[str, Any], livemode: bool, now: float
) -> dict[str, Any]:
    """A new account's body, every part filled (``render`` hides what is not included);
    requested capabilities ``pending``."""
    body: dict[str, Any] = {name: None for name in catalog.v2_fields("v2.core.account")}
    body.update({
        "id": account_id, "object": "v2.core.account", "applied_configurations": [],
        "closed": False, "created": rfc3339(now), "livemode": livemode, "metadata": {},
        "configuration": {name: None for name in CONFIGURATIONS},
        "defaults": _filled("AccountCreateParamsDefaults"),
        "identity": _filled("AccountCreateParamsIdentity"),
        "requirements": {"alternatives": [], "entries": [], "summary": None},
        "future_requirements": {"alternatives": [], "entries": [],
                                "minimum_transition_date": None, "summary": None},
    })  # fmt: skip
    body["dashboard"] = params.get("dashboard")
    body["defaults"]["responsibilities"] = _responsibilities(params.get("dashboard"))
    merge(body, params, now)
    return body


def _filled(type_name: str) -> dict[str, Any]:
    return {name: None for name in _type_fields(type_name)}


def _responsibilities(dashboard: str | None) -> dict[str, Any]:
    """Who collects fees, losses and requirements: Stripe for accounts with a Stripe
    dashboard, the platform for the others (as Stripe's defaults)."""
    platform = dashboard in (None, "none")
    return {
        "fees_collector": "application" if platform else "stripe",
        "losses_collector": "application" if platform else "stripe",
        "requirements_collector": "application" if platform else "stripe",
    }


def merge(body: dict[str, Any], params: dict[str, Any], now: float) -> dict[str, bool]:
    """Apply checked create or update parameters; which parts changed (``account`` for the
    top-level fields, ``identity``, ``defaults``, ``configuration.X``)."""
    changed: dict[str, bool] = {}
    for name in ("contact_email", "contact_phone", "display_name", "dashboard"):
        if name in params and params[name] != body.get(name):
            body[name] = params[name]
            changed["account"] = True
    if "metadata" in params:
        merged = {k: v for k, v in {**body["metadata"], **(params["metadata"] or {})}.items()
                  if v is not None}  # fmt: skip
        if merged != body["metadata"]:
            body["metadata"] = merged
            changed["account"] = True
    for part in ("identity", "defaults"):
        if part in params:
            before = copy.deepcopy(body[part])
            _deep_merge(body[part], params[part] or {})
            individual = body[part].get("individual") if part == "identity" else None
            if isinstance(individual, dict):
                _as_person(individual, body["id"], body["livemode"], now)
            changed[part] = body[part] != before
    for name, given in (params.get("configuration") or {}).items():
        if given is None:
            continue
        current = body["configuration"].get(name)
        before = copy.deepcopy(current)
        if current is None:
            current = {"applied": True, **_filled(_config_type(name)), "capabilities": {}}
            body["configuration"][name] = current
        given = dict(given)
        if "applied" in given:
            current["applied"] = bool(given.pop("applied"))
        _merge_capabilities(current, given.pop("capabilities", None) or {})
        _deep_merge(current, given)
        changed[f"configuration.{name}"] = current != before
    body["applied_configurations"] = [
        name for name in CONFIGURATIONS if (body["configuration"].get(name) or {}).get("applied")
    ]
    return {part: True for part, yes in changed.items() if yes}


def _config_type(name: str) -> str:
    return f"AccountCreateParamsConfiguration{name.capitalize()}"


def _as_person(individual: dict[str, Any], account: str, livemode: bool, now: float) -> None:
    """``identity.individual`` is a person of the account (stripe-python's fields)."""
    individual.setdefault("id", f"person_{account.removeprefix('acct_')}")
    individual.setdefault("object", "v2.core.account_person")
    individual.setdefault("account", account)
    individual.setdefault("created", rfc3339(now))
    individual["updated"] = rfc3339(now)
    individual.setdefault("metadata", {})


def _deep_merge(into: dict[str, Any], given: dict[str, Any]) -> None:
    for key, value in given.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value)


def _merge_capabilities(config: dict[str, Any], given: dict[str, Any]) -> None:
    """``{"card_payments": {"requested": true}}`` (nested as ``stripe_balance.payouts``):
    a capability requested appears ``pending``; one no longer requested disappears."""
    for path, requested in _requested(given):
        node = config["capabilities"]
        *parents, leaf = path
        for part in parents:
            node = node.setdefault(part, {})
        if requested and leaf not in node:
            node[leaf] = {"status": "pending", "status_details": [
                {"code": "determining_status", "resolution": "no_resolution"}]}  # fmt: skip
        elif not requested:
            node.pop(leaf, None)


def _requested(
    given: dict[str, Any], prefix: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], bool]]:
    found: list[tuple[tuple[str, ...], bool]] = []
    for name, value in given.items():
        if isinstance(value, dict) and "requested" in value:
            found.append(((*prefix, name), bool(value["requested"])))
        elif isinstance(value, dict):
            found += _requested(value, (*prefix, name))
    return found


def capability_statuses(body: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(configuration, ``stripe_balance.payouts``) -> status, for every capability requested."""
    found: dict[tuple[str, str], str] = {}

    def walk(config: str, node: dict[str, Any], prefix: str) -> None:
        for name, value in node.items():
            if isinstance(value, dict) and "status" in value:
                found[(config, prefix + name)] = value["status"]
            elif isinstance(value, dict):
                walk(config, value, f"{prefix}{name}.")

    for config in CONFIGURATIONS:
        part = body["configuration"].get(config)
        if part and part.get("applied"):
            walk(config, part.get("capabilities") or {}, "")
    return found


def _missing(body: dict[str, Any], config: str) -> list[str]:
    needs = list(NEEDS[config])
    if config != "customer":
        identity = body["identity"] or {}
        if identity.get("entity_type") == "individual":
            needs += ["identity.individual.given_name", "identity.individual.surname"]
        else:
            needs.append("identity.business_details.registered_name")
        needs.append(_TERMS)
    return [need for need in needs if _get(body, need) in (None, "", {})]


def _get(body: dict[str, Any], path: str) -> Any:
    node: Any = body
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def decide(body: dict[str, Any]) -> tuple[list[tuple[str, str, str]], bool]:
    """Set each requested capability's status and the requirements from what the account
    has: the capabilities whose status changed ``(configuration, capability, status)``, and
    whether the requirements changed."""
    restricting: dict[str, list[dict[str, Any]]] = {}
    changed: list[tuple[str, str, str]] = []
    for (config, capability), status in capability_statuses(body).items():
        missing = _missing(body, config)
        for need in missing:
            restricting.setdefault(need, []).append({
                "capability": capability, "configuration": config,
                "deadline": {"status": "past_due"}})  # fmt: skip
        new = "restricted" if missing else "active"
        leaf = _leaf(body, config, capability)
        leaf["status_details"] = (
            [{"code": "requirements_past_due", "resolution": "provide_info"}] if missing else []
        )
        if new != status:
            leaf["status"] = new
            changed.append((config, capability, new))
    entries = [
        {
            "awaiting_action_from": "user", "description": need, "errors": [],
            "impact": {"restricts_capabilities": impact},
            "minimum_deadline": {"status": "past_due"}, "reference": None,
            "requested_reasons": [{"code": "routine_onboarding"}],
        }
        for need, impact in sorted(restricting.items())
    ]  # fmt: skip
    requirements = {
        "alternatives": [], "entries": entries,
        "summary": {"minimum_deadline": {"status": "past_due", "time": None}} if entries else None,
    }  # fmt: skip
    moved = requirements != body["requirements"]
    body["requirements"] = requirements
    return changed, moved


def _leaf(body: dict[str, Any], config: str, capability: str) -> dict[str, Any]:
    node: dict[str, Any] = body["configuration"][config]["capabilities"]
    for part in capability.split("."):
        node = node[part]
    return node


def render(body: dict[str, Any], include: list[str] | None) -> dict[str, Any]:
    """The account as an answer shows it: the parts not in ``include`` null."""
    wanted = set(include or ())
    shown = copy.deepcopy(body)
    for part in ("defaults", "identity", "requirements", "future_requirements"):
        if part not in wanted:
            shown[part] = None
    configs = {name: body["configuration"].get(name) for name in CONFIGURATIONS
               if f"configuration.{name}" in wanted}  # fmt: skip
    shown["configuration"] = (
        {name: copy.deepcopy(configs.get(name)) for name in CONFIGURATIONS} if configs else None
    )
    return shown


def changes(before: dict[str, Any], after: dict[str, Any], *path: str) -> dict[str, Any]:
    """An event's ``changes``: the values under ``path`` that differ, ``before`` and
    ``after``, nested as in the object (``{"identity": {"country": "us"}}``)."""
    old, new = _at(before, path), _at(after, path)
    was, now = _diff(old, new) if isinstance(old, dict) and isinstance(new, dict) else (old, new)
    for part in reversed(path):
        was, now = {part: was}, {part: now}
    return {"before": was, "after": now}


def _at(body: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = body
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _diff(old: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    was: dict[str, Any] = {}
    now: dict[str, Any] = {}
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            was[key], now[key] = _diff(a, b)
        else:
            was[key], now[key] = copy.deepcopy(a), copy.deepcopy(b)
    return was, now
