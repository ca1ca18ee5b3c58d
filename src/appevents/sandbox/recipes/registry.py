"""Every trigger name and its recipe: the Stripe CLI's fixtures (by domain), their aliases,
the two app lifecycle events, and a generic recipe for any other catalog event type.

The generic recipe emits one event of the type carrying a fresh sample object of its
resource (``catalog.object_type_for`` + ``sample_object``, fresh id): ``*.updated`` types
first make the object silently, then change its metadata (so the event has
``previous_attributes``); ``*.deleted`` types emit the object with ``deleted: true``.
"""

from __future__ import annotations

import functools

from ... import catalog
from ..stripe_errors import InvalidRequest
from . import billing, connect, issuing, payments, platform, subscriptions
from .applications import APP_EVENT_STEPS
from .model import Recipe, create, step, update

__all__ = ["ALIASES", "generic_recipe", "names", "recipe_for"]

ALIASES = {
    "invoice.payment_succeeded": "invoice.paid",
    "customer_cash_balance_transaction.created": "cash_balance.funds_available",
}


@functools.cache
def _fixtures() -> dict[str, Recipe]:
    recipes: dict[str, Recipe] = {}
    for module in (payments, billing, subscriptions, connect, issuing, platform):
        for recipe in module.RECIPES:
            if recipe.name in recipes:
                raise AssertionError(f"two recipes named {recipe.name}")
            recipes[recipe.name] = recipe
    for alias, target in ALIASES.items():
        base = recipes[target]
        recipes[alias] = Recipe(alias, alias, base.steps, base.note)
    return recipes


def names() -> list[str]:
    """Every trigger name with a recipe of its own (not the generic ones), sorted."""
    return sorted({*_fixtures(), *APP_EVENT_STEPS})


def recipe_for(name: str) -> Recipe:
    """The recipe of a trigger name or of any known event type; InvalidRequest otherwise."""
    recipe = _fixtures().get(name)
    if recipe is not None:
        return recipe
    if name in APP_EVENT_STEPS:
        raise InvalidRequest(f"{name} is run by recipes.run, not as a step recipe")
    if catalog.is_known_event_type(name):
        return generic_recipe(name)
    candidates = sorted({*names(), *catalog.event_types("*")})
    close = catalog.closest_names(name, candidates)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise InvalidRequest(
        f"Unknown trigger {name!r}: expected one of the Stripe CLI's trigger names or an "
        f"event type{hint} (`appevents trigger --help` lists them)",
        param="event",
    )


def generic_recipe(event_type: str) -> Recipe:
    resource = catalog.object_type_for(event_type)
    key = resource.rsplit(".", 1)[-1]
    note = (
        f"generic: no Stripe CLI fixture makes {event_type}; this emits it once with a fresh "
        f"sample {resource}"
    )
    if event_type.endswith(".updated"):
        changes = (
            create(key, resource),
            update(key, event_type, values={"metadata.appevents": "updated"}),
        )
        return Recipe(event_type, event_type, (step(key, *changes),), note)
    deletes = event_type.endswith(".deleted")
    made = create(key, resource, event_type, deletes=deletes)
    return Recipe(event_type, event_type, (step(key, made),), note)
