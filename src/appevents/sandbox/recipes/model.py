"""What a trigger recipe is made of: steps (the API calls a Stripe CLI fixture makes), each a
few changes to objects, each change emitting Stripe's events for that object.

A recipe is data. Values may hold templates, resolved when the step runs:

- ``${customer:id}``: a field (dotted path) of the object a change in this recipe keyed
  ``customer`` made; ids are allocated before the first step runs, so a later object's id can
  be referred to too (``subscription.latest_invoice = ${invoice:id}``).
- ``${price}``: the whole object (a copy), e.g. a subscription item's ``price``.
- ``${context:account}``, ``${context:livemode}``, ``${context:now}``, ``${context:now+86400}``:
  the account the trigger acts on, its mode, and the sandbox clock.
- ``${step:path|default}``: ``default`` (a string) when the path holds nothing.

A template that is the whole value keeps the referred value's type; inside a longer string it
is replaced by its text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Change", "Recipe", "Step", "create", "delete", "recipe", "step", "update"]


@dataclass(frozen=True, slots=True)
class Change:
    """One thing that happens to one object, then the events it emits (in order)."""

    key: str
    """The object's name in the recipe; templates refer to it (``${charge:id}``)."""
    resource: str | None
    """The object type when this change creates the object; None when it changes one."""
    values: Mapping[str, Any] = field(default_factory=dict)
    """Dotted paths set on the object before the events are emitted."""
    emits: tuple[str, ...] = ()
    deletes: bool = False
    """Emit the object with ``deleted: true`` and remove it from the sandbox."""


@dataclass(frozen=True, slots=True)
class Step:
    """One call of the fixture: its ``params`` (what --add/--override/--remove edit) apply to
    the object of its first change, after that change's own values."""

    name: str
    changes: tuple[Change, ...]
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def target(self) -> str:
        return self.changes[0].key


@dataclass(frozen=True, slots=True)
class Recipe:
    name: str
    """The trigger name (``issuing_card.created.eu``)."""
    event_type: str
    """The event type it stands for (``issuing_card.created``)."""
    steps: tuple[Step, ...]
    note: str = ""
    """How this recipe differs from what Stripe does, when it does."""


def create(
    key: str,
    resource: str,
    *emits: str,
    values: Mapping[str, Any] | None = None,
    deletes: bool = False,
) -> Change:
    return Change(key, resource, values or {}, emits, deletes)


def update(key: str, *emits: str, values: Mapping[str, Any] | None = None) -> Change:
    return Change(key, None, values or {}, emits)


def delete(key: str, *emits: str) -> Change:
    return Change(key, None, {}, emits, deletes=True)


def step(name: str, *changes: Change, params: Mapping[str, Any] | None = None) -> Step:
    return Step(name, changes, params or {})


def recipe(name: str, *steps: Step, event_type: str | None = None, note: str = "") -> Recipe:
    return Recipe(name, event_type or name, steps, note)
