"""What the commands share: loading the app, the store option, output, async running."""

from __future__ import annotations

import asyncio
import functools
import importlib
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click
from rich.console import Console

from ..errors import AppEventsError
from ..receiver.app import DEFAULT_STORE, App
from ..receiver.inbox import Store
from ..receiver.stores import open_store_url

P = ParamSpec("P")
T = TypeVar("T")

STORE_ENV = "APPEVENTS_STORE"
SECRET_ENV = "APPEVENTS_WEBHOOK_SECRET"  # noqa: S105 - a variable name


def load_app(target: str, app_dir: str = ".") -> App:
    """Import ``module:attribute`` (from ``app_dir``) and check it is an ``App``."""
    module_name, sep, attribute = target.partition(":")
    if not sep or not module_name or not attribute:
        raise click.BadParameter(
            f"{target!r} is not MODULE:APP; write it like examples.payments_app:app",
            param_hint="MODULE:APP",
        )
    directory = str(Path(app_dir).resolve())
    if directory not in sys.path:
        sys.path.insert(0, directory)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise click.BadParameter(
            f"cannot import module {module_name!r} from {directory}: {exc}; run from the "
            "folder that holds it, or pass --app-dir",
            param_hint="MODULE:APP",
        ) from None
    try:
        app = functools.reduce(getattr, attribute.split("."), module)
    except AttributeError:
        raise click.BadParameter(
            f"module {module_name!r} has no attribute {attribute!r}", param_hint="MODULE:APP"
        ) from None
    if not isinstance(app, App):
        raise click.BadParameter(
            f"{target} is a {type(app).__name__}, not an appevents.App", param_hint="MODULE:APP"
        )
    return app


def store_option(function: Callable[P, T]) -> Callable[P, T]:
    return click.option(
        "--store",
        "store_url",
        envvar=STORE_ENV,
        show_envvar=True,
        default=None,
        help=f"Store URL: sqlite:///PATH, postgresql://…, memory:// [default: the app's, or "
        f"{DEFAULT_STORE}]",
    )(function)


def open_store(url: str | None) -> Store:
    return guard(open_store_url)(url or DEFAULT_STORE)


def run(coroutine: Awaitable[T]) -> T:
    """Run a coroutine, turning appevents errors into a clean CLI error."""

    async def wrapper() -> T:
        return await coroutine

    try:
        return asyncio.run(wrapper())
    except AppEventsError as exc:
        raise click.ClickException(str(exc)) from None


def guard(function: Callable[P, T]) -> Callable[P, T]:
    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return function(*args, **kwargs)
        except AppEventsError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


def secrets_from(values: tuple[str, ...]) -> list[str]:
    """``--secret`` values, each possibly comma-separated (as the environment variable is)."""
    return [s.strip() for value in values for s in value.split(",") if s.strip()]


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False))


def console() -> Console:
    """A rich console; piped output gets wide lines instead of rich's 80 columns."""
    out = Console()
    return out if out.is_terminal else Console(width=200)
