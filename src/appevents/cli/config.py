"""The CLI's saved login: which sandbox, which keys, which device (file mode 0600)."""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import click
import httpx

__all__ = [
    "CONFIG_ENV",
    "Login",
    "check_api_base",
    "check_config_writable",
    "config_path",
    "load_login",
    "save_login",
    "write_private_json",
]

CONFIG_ENV = "APPEVENTS_CONFIG_DIR"
API_BASE_ENV = "APPEVENTS_API_BASE"
API_KEY_ENV = "APPEVENTS_API_KEY"
DEFAULT_API_BASE = "http://127.0.0.1:12111"


@dataclass(frozen=True)
class Login:
    api_base: str
    account: str
    test_key: str
    live_key: str | None
    device_name: str

    def key(self, live: bool) -> str:
        if live:
            if not self.live_key:
                raise click.UsageError("no live key saved: run `appevents login` again")
            return self.live_key
        return self.test_key


def check_api_base(value: str, *, source: str = "--api-base") -> str:
    """The sandbox's URL without its trailing slash, or a usage error naming what is wrong."""
    url = value.rstrip("/")
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise click.UsageError(
            f"invalid {source} {value!r} ({exc}): write it like {DEFAULT_API_BASE}"
        ) from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise click.UsageError(
            f"invalid {source} {value!r}: expected an http:// or https:// URL with a host, "
            f"like {DEFAULT_API_BASE}"
        )
    return url


def config_path() -> Path:
    base = os.environ.get(CONFIG_ENV) or click.get_app_dir("appevents", force_posix=True)
    return Path(base) / "config.json"


def load_login() -> Login | None:
    path = config_path()
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(
            f"cannot read {path}: {exc}; run `appevents login` again"
        ) from None
    login = _login_from(data, path)
    check_api_base(login.api_base, source=f"api_base in {path}")
    return login


def _login_from(data: Any, path: Path) -> Login:
    expected = {f.name for f in fields(Login)}
    fix = "run `appevents login` again (it rewrites the file)"
    if not isinstance(data, dict):
        raise click.ClickException(
            f"{path} holds a JSON {type(data).__name__}, expected an object with the keys "
            f"{', '.join(sorted(expected))}: {fix}"
        )
    unknown, missing = sorted(set(data) - expected), sorted(expected - set(data) - {"live_key"})
    if unknown or missing:
        problems = [f"unknown key(s) {', '.join(unknown)}"] if unknown else []
        problems += [f"missing key(s) {', '.join(missing)}"] if missing else []
        raise click.ClickException(f"{path} has {' and '.join(problems)}: {fix}")
    for name, value in data.items():
        if not isinstance(value, str) and not (name == "live_key" and value is None):
            raise click.ClickException(f"{path}: {name} is {value!r}, expected a string: {fix}")
    return Login(**{"live_key": None, **data})


def check_config_writable() -> Path:
    """The login file's path, once its directory exists and can be written (before pairing)."""
    path = config_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not os.access(path.parent, os.W_OK | os.X_OK):
            raise PermissionError(f"{path.parent} is not writable")
    except OSError as exc:
        raise _unsaved(path, exc) from None
    return path


def _unsaved(path: Path, exc: OSError, what: str = "the login") -> click.ClickException:
    return click.ClickException(
        f"cannot save {what} in {path} ({exc.strerror or exc}): make {path.parent} a "
        f"writable directory, or point {CONFIG_ENV} at one"
    )


def save_login(login: Login) -> Path:
    path = check_config_writable()
    write_private_json(path, asdict(login))
    return path


def write_private_json(path: Path, data: Any, what: str = "the login") -> None:
    """Replace ``path`` with ``data`` as JSON, readable by its owner only (it holds keys)."""
    temporary = path.with_suffix(".tmp")
    try:
        # Created 0600 from the start: the file holds secret keys.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(data, handle, indent=2)
        temporary.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise _unsaved(path, exc, what) from None


def forget_login() -> bool:
    path = config_path()
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise click.ClickException(
            f"cannot remove {path} ({exc.strerror or exc}): delete it yourself"
        ) from None
    return True
