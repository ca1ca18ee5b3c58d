"""``appevents trigger``: recipes that make the objects and emit the events Stripe does.

Every name the Stripe CLI's ``trigger`` knows has a recipe (its aliases too), plus
``account.application.authorized`` and ``account.application.deauthorized`` (install or
uninstall the caller's app); any other event type in the catalog gets a generic recipe.

    result = recipes.run(sandbox, caller, "payment_intent.succeeded",
                         override=["payment_intent:amount=5000"], skip=[])
    result.events      # payment_intent.created, charge.succeeded, payment_intent.succeeded
    result.lines       # what the CLI prints, as the Stripe CLI does
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..callers import Caller
from .applications import APP_EVENT_STEPS, run_app_event
from .engine import TriggerResult, execute, prepare_steps
from .model import Recipe
from .registry import names, recipe_for

if TYPE_CHECKING:
    from ..service import Sandbox

__all__ = ["Recipe", "TriggerResult", "names", "recipe_for", "run"]


def run(
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
    """Run the recipe ``name`` on ``caller.account`` in ``caller.livemode``, in one
    transaction. ``app`` chooses the app for the two account.application events.

    Raises ``stripe_errors.InvalidRequest`` for an unknown name or a bad option (the value,
    what was expected, the closest names), ``PermissionDenied`` when an app caller lacks a
    write permission the recipe needs.
    """
    if name in APP_EVENT_STEPS:
        return run_app_event(
            sandbox, caller, name, add=add, override=override, remove=remove, skip=skip, app=app
        )
    recipe = recipe_for(name)
    planned = prepare_steps(recipe, add=add, override=override, remove=remove, skip=skip)
    return execute(sandbox, caller, recipe, planned)
