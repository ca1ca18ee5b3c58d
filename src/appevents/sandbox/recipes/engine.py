"""Running a recipe: its steps in order, inside one sandbox transaction, every event on the
caller's account in the caller's mode."""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ... import catalog
from ...catalog.fresh import fresh_object
from .. import resources
from ..state import events as stored
from .model import Change, Recipe, Step
from .paths import apply_edit, check_step, parse_edits, set_path, split_path
from .templates import Scope

if TYPE_CHECKING:
    from ..callers import Caller
    from ..service import Sandbox

__all__ = ["SUCCESS_LINE", "TriggerResult", "execute", "prepare_steps"]

SUCCESS_LINE = "Trigger succeeded! Check dashboard for event details."


@dataclass(frozen=True, slots=True)
class TriggerResult:
    name: str
    event_type: str
    """The event type the trigger stands for (``issuing_card.created`` for ``….eu``)."""
    steps_run: list[str]
    events: list[dict[str, Any]]
    """Every event emitted, in order."""
    lines: list[str] = field(default_factory=list)
    """What the CLI prints, as the Stripe CLI does: per step ``Setting up fixture for: X``
    and ``Running fixture for: X``, then ``Trigger succeeded! …``."""
    note: str = ""
    """How this trigger differs from Stripe's, when it does (empty otherwise)."""


@dataclass(frozen=True, slots=True)
class PlannedStep:
    step: Step
    params: dict[str, Any]


def prepare_steps(
    recipe: Recipe,
    *,
    add: Iterable[str] = (),
    override: Iterable[str] = (),
    remove: Iterable[str] = (),
    skip: Iterable[str] = (),
) -> list[PlannedStep]:
    """The steps to run with their params edited; raises InvalidRequest for a bad option."""
    names = [s.name for s in recipe.steps]
    skipped = list(skip)
    for name in skipped:
        check_step(name, names, recipe=recipe.name, option=f"--skip {name!r}")
    params = {s.name: copy.deepcopy(dict(s.params)) for s in recipe.steps}
    samples = {s.name: _sample_for(recipe, s) for s in recipe.steps}
    for kind, raw in (("override", override), ("add", add), ("remove", remove)):
        for edit in parse_edits(kind, raw, names, recipe=recipe.name):  # type: ignore[arg-type]
            apply_edit(params[edit.step], edit, samples[edit.step])
    return [PlannedStep(s, params[s.name]) for s in recipe.steps if s.name not in skipped]


def execute(
    sandbox: Sandbox, caller: Caller, recipe: Recipe, planned: list[PlannedStep]
) -> TriggerResult:
    _check_permissions(caller, planned)
    running = {p.step.name for p in planned}
    scope = Scope(caller.account, caller.livemode, sandbox.now)
    for each in recipe.steps:
        for change in each.changes:
            if change.resource is None:
                continue
            if each.name not in running:
                scope.skipped[change.key] = each.name
            elif _has_id(change.resource):
                scope.allocated_ids[change.key] = sandbox.ids.new(_id_prefix(change.resource), 14)
    emitted: list[dict[str, Any]] = []
    lines: list[str] = []
    with sandbox.transaction():
        for plan in planned:
            lines.append(f"Setting up fixture for: {plan.step.name}")
            request_id = sandbox.ids.new("req", 14)
            for position, change in enumerate(plan.step.changes):
                emitted.extend(
                    _apply(
                        sandbox,
                        caller,
                        scope,
                        plan.step.name,
                        change,
                        plan.params if position == 0 else {},
                        request_id,
                    )
                )
            lines.append(f"Running fixture for: {plan.step.name}")
    lines.append(SUCCESS_LINE)
    return TriggerResult(
        recipe.name, recipe.event_type, [p.step.name for p in planned], emitted, lines, recipe.note
    )


def _apply(
    sandbox: Sandbox,
    caller: Caller,
    scope: Scope,
    step_name: str,
    change: Change,
    params: Mapping[str, Any],
    request_id: str,
) -> list[dict[str, Any]]:
    where = f"step {step_name}"
    if change.resource is not None:
        obj = _made_object(sandbox, change.resource)
        if change.key in scope.allocated_ids:
            obj["id"] = scope.allocated_ids[change.key]
        for name, value in (("created", sandbox.now()), ("livemode", caller.livemode)):
            if name in obj:
                obj[name] = value
    elif change.key in scope.objects:
        obj = copy.deepcopy(scope.objects[change.key])
    else:
        scope.resolve(f"${{{change.key}}}", where=where)  # raises: the step is skipped
        raise AssertionError(change.key)  # pragma: no cover - recipes are tested
    before = copy.deepcopy(obj)
    given = _leaves(params)
    overridden = {path for path, _ in given}
    for dotted, value in change.values.items():
        path = split_path(dotted)
        if not any(path[: len(p)] == p for p in overridden):  # params win, unresolved
            set_path(obj, path, scope.resolve(value, where=where))
    for path, value in given:
        set_path(obj, path, scope.resolve(value, where=where))
    scope.objects[change.key] = obj
    previous = None if change.resource is not None else _previous(before, obj)
    events = []
    for event_type in change.emits:
        body = {**obj, "deleted": True} if change.deletes else obj
        events.append(
            sandbox.emit(
                caller.account,
                caller.livemode,
                event_type,
                copy.deepcopy(body),
                previous_attributes=previous if event_type.endswith(".updated") else None,
                request_id=request_id,
            )
        )
    if isinstance(obj.get("id"), str):
        if change.deletes:
            sandbox.db.execute(
                "DELETE FROM objects WHERE account = ? AND id = ?", (caller.account, obj["id"])
            )
        elif not change.emits:
            stored.save_object(sandbox.db, caller.account, caller.livemode, obj, sandbox.now())
    return events


def _previous(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Stripe's ``previous_attributes``: the earlier values of what changed (nested dicts
    only with their changed keys)."""
    changed: dict[str, Any] = {}
    for key in after.keys() | before.keys():
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            changed[key] = _previous(old, new)
        else:
            changed[key] = copy.deepcopy(old)
    return changed


def _leaves(
    params: Mapping[str, Any], prefix: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], Any]]:
    leaves: list[tuple[tuple[str, ...], Any]] = []
    for key, value in params.items():
        if isinstance(value, Mapping) and value:
            leaves.extend(_leaves(value, (*prefix, key)))
        else:
            leaves.append(((*prefix, key), value))
    return leaves


def _check_permissions(caller: Caller, planned: list[PlannedStep]) -> None:
    """An app acting on an installing account needs write access to what the trigger makes."""
    for plan in planned:
        for change in plan.step.changes:
            if change.resource is None:
                continue
            permission = resources.read_permission_resource(change.resource)
            if permission is not None:
                caller.require(permission, write=True)


def _sample_for(recipe: Recipe, step: Step) -> dict[str, Any]:
    """The object a step's params apply to, as a sample (to type command-line values)."""
    first = step.changes[0]
    if first.resource is not None:
        return _fresh_object(first.resource)
    for each in recipe.steps:
        for change in each.changes:
            if change.key == first.key and change.resource is not None:
                return _fresh_object(change.resource)
    return {}


def _made_object(sandbox: Sandbox, resource: str) -> dict[str, Any]:
    """A just-made object: the sample's shape, none of its placeholder values."""
    if resource in catalog.sample_resources():
        return fresh_object(
            resource, now=sandbox.now(), new_id=lambda prefix: sandbox.ids.new(prefix, 14)
        )
    return {"object": resource}


def _fresh_object(resource: str) -> dict[str, Any]:
    """Stripe's sample of the resource; a bare object for a type with no sample (the
    snapshot stand-ins of thin events)."""
    if resource in catalog.sample_resources():
        return catalog.sample_object(resource)
    return {"object": resource}


@functools.cache
def _has_id(resource: str) -> bool:
    return "id" in _fresh_object(resource)


@functools.cache
def _id_prefix(resource: str) -> str:
    """``cus`` for customers, ``cs_test`` for Checkout sessions: from Stripe's sample id."""
    sample_id = _fresh_object(resource).get("id")
    if isinstance(sample_id, str) and "_" in sample_id:
        return sample_id.rsplit("_", 1)[0]
    return resource.rsplit(".", 1)[-1][:4]
