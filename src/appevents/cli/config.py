"""The CLI's saved login: which sandbox, which keys, which device (file mode 0600)."""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import click

__all__ = ["CONFIG_ENV", "Login", "config_path", "load_login", "save_login"]

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


def config_path() -> Path:
    base = os.environ.get(CONFIG_ENV) or click.get_app_dir("appevents", force_posix=True)
    return Path(base) / "config.json"


def load_login() -> Login | None:
    try:
        data = json.loads(config_path().read_text())
    except FileNotFoundError:
        return None
    except (OSError, json.JSONDecodeError) as exc:
        raise click.ClickException(
            f"cannot read {config_path()}: {exc}; run `appevents login` again"
        ) from None
    return Login(**data)


def save_login(login: Login) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    # Created 0600 from the start: the file holds secret keys.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(asdict(login), handle, indent=2)
    temporary.replace(path)
    return path


def forget_login() -> bool:
    with contextlib.suppress(FileNotFoundError):
        config_path().unlink()
        return True
    return False
