"""What the commands share: loading the app, the store option, output, async running."""

from __future__ import annotations

import asyncio
import errno
import functools
import importlib
import json
import socket
import sys
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click
from rich.console import Console

from ..errors import AppEventsError
from ..receiver.app import DEFAULT_STORE, App
from ..receiver.inbox import Store
from ..receiver.stores import open_store_url
from ..receiver.stores.sqlite import SQLiteStore
from .store_files import check_for_reading, check_for_writing

P = ParamSpec("P")
T = TypeVar("T")

STORE_ENV = "APPEVENTS_STORE"
SECRET_ENV = "APPEVENTS_WEBHOOK_SECRET"  # noqa: S105 - a variable name
APP_ENV = "APPEVENTS_APP"
MANIFEST_ENV = "APPEVENTS_MANIFEST"
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


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
    except SyntaxError as exc:
        raise click.BadParameter(
            f"module {module_name!r} has a syntax error at {exc.filename}, line {exc.lineno}: "
            f"{exc.msg}; fix it and start again",
            param_hint="MODULE:APP",
        ) from None
    except Exception as exc:  # the module's own code failed: say where, not a traceback
        raise click.BadParameter(
            f"importing module {module_name!r} failed at {_where(exc)}: "
            f"{type(exc).__name__}: {exc}; fix the module (an App(...) argument, its "
            "top-level code) and start again",
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


def _where(exc: BaseException) -> str:
    """The user's line that raised ``exc``, as ``file, line N``: the innermost frame outside
    appevents and the import machinery (App(max_body_bytes=0) raises inside appevents)."""
    ours = str(Path(__file__).resolve().parents[1])
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if not frame.filename.startswith((ours, "<frozen "))
    ]
    return f"{frames[-1].filename}, line {frames[-1].lineno}" if frames else "import"


def app_dir_option(function: Callable[P, T]) -> Callable[P, T]:
    return click.option(
        "--app-dir", default=".", show_default=True, help="Folder to import MODULE from."
    )(function)


def app_option(function: Callable[P, T]) -> Callable[P, T]:
    """``--app MODULE:APP`` and ``--app-dir``: read the store that app is configured with."""
    with_dir = app_dir_option(function)
    return click.option(
        "--app",
        "app_target",
        metavar="MODULE:APP",
        envvar=APP_ENV,
        show_envvar=True,
        default=None,
        help="Your app (as given to appevents serve): use the store it is configured with.",
    )(with_dir)


def log_level_option(function: Callable[P, T]) -> Callable[P, T]:
    return click.option(
        "--log-level",
        default="info",
        show_default=True,
        type=click.Choice(LOG_LEVELS, case_sensitive=False),
    )(function)


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


def store_for_writing(store: Store) -> Store:
    """``store``, once its file (if SQLite) is one the store can open without damage."""
    if isinstance(store, SQLiteStore):
        guard(check_for_writing)(store.path)
    return store


def store_for_reading(url: str | None, app_target: str | None, app_dir: str) -> Store:
    """The store to look into: ``--store``, else ``--app``'s, else the default.

    Never creates or migrates a SQLite file: a command that only reads says what is wrong.
    """
    store: Store | str = DEFAULT_STORE
    if url:
        store = url
    elif app_target:
        store = load_app(app_target, app_dir).store
    store = open_store(store) if isinstance(store, str) else store
    if isinstance(store, SQLiteStore):
        hint = (
            "pass --app MODULE:APP to read the store your app (appevents serve MODULE:APP) "
            "writes, or --store sqlite:///PATH; a relative path is relative to the folder "
            "you run the command in"
        )
        guard(check_for_reading)(store.path, hint)
    return store


def cannot_listen(host: str, port: int, exc: OSError) -> str:
    """Why the server cannot listen on ``host:port``, and what to pass instead."""
    where = f"cannot listen on {host}:{port}"
    if isinstance(exc, socket.gaierror):
        return (
            f"{where}: the host {host!r} cannot be resolved ({exc.strerror}); pass --host "
            "with a name or address of this machine, such as 127.0.0.1 or 0.0.0.0 (all)"
        )
    if exc.errno == errno.EADDRINUSE:
        return f"{where}: port {port} is in use: choose another --port or stop the program using it"
    if exc.errno == errno.EADDRNOTAVAIL:
        return (
            f"{where}: {host} is not an address of this machine; pass --host with one of its "
            "addresses, such as 127.0.0.1 or 0.0.0.0 (all)"
        )
    if exc.errno == errno.EACCES:
        return (
            f"{where}: not permitted (ports below 1024 need privileges); choose a --port from "
            "1024 up"
        )
    return f"{where}: {exc.strerror or exc}; check --host and --port"


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
