"""A sandbox for an app's tests: in this process, on a free 127.0.0.1 port, its state in a
folder of the test's (pytest's ``tmp_path``), gone with the test.

    with SandboxHarness.running(tmp_path) as sandbox:
        merchant = sandbox.install("stripe-app.json")          # a new account installs it
        events = sandbox.trigger("payment_intent.succeeded", account=merchant)

What the merchant's side does (create an account, install, uninstall, trigger events on
it, sign a UI-extension call) goes through the sandbox's HTTP API, as the CLI does. An
hour of Stripe's retry schedule lasts a second here, so a failed delivery comes again
soon. ``appevents.pytest_plugin`` makes it the ``appevents_sandbox`` fixture.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from .errors import ConfigurationError, StripeAPIError

if TYPE_CHECKING:
    import stripe

    from .sandbox.server import SandboxServer

__all__ = ["Account", "SandboxHarness", "ShiftedClock", "TriggeredEvent"]

TIME_SCALE = 1 / 3600
"""An hour of Stripe's delivery retry schedule lasts a second."""

AppRef = str | Path | Mapping[str, Any]
"""A manifest (its path, or its parsed JSON) or a registered app's ``ca_...``/manifest id."""


LIFECYCLE_STEP = 1.0
"""Seconds the clock moves on after an install or uninstall. Events carry whole seconds,
and a receiver orders an account's install and uninstall by them; within one second the
uninstall wins (receiver/installations.py), so a reinstall right after an uninstall would
not count. A test does both within milliseconds, so the harness keeps them apart."""


class ShiftedClock:
    """``time.time()`` plus an offset that only grows (the sandbox's clock)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass(frozen=True, slots=True)
class Account:
    """A merchant account the harness created, with its own secret keys."""

    id: str
    test_key: str
    live_key: str

    def __str__(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True)
class TriggeredEvent:
    id: str
    type: str


class SandboxHarness:
    """A running sandbox and the merchant-side helpers tests need."""

    def __init__(self, server: SandboxServer, url: str, clock: ShiftedClock | None = None) -> None:
        self.server = server
        self.clock = clock or ShiftedClock()
        """The sandbox's clock: the time now, moved on by :meth:`advance`."""
        self.url = url
        """The API base: ``api_base`` for stripe-python, ``App(api_base=...)``."""
        platform = server.platform()
        keys: dict[str, str] = platform["keys"]  # type: ignore[assignment]
        self.api_key = keys["test"]
        """The platform's (the app developer's) test secret key."""
        self.live_key = keys["live"]
        self.platform = str(platform["id"])
        self.accounts: dict[str, Account] = {}

    @classmethod
    @contextlib.contextmanager
    def running(cls, folder: str | Path) -> Iterator[SandboxHarness]:
        """Start a sandbox keeping its state in ``folder``; stop it on exit."""
        from .loopback import serve_asgi
        from .sandbox.delivery import DeliverySettings
        from .sandbox.schedule import DisablePolicy, RetrySchedule
        from .sandbox.server import SandboxServer

        settings = DeliverySettings(
            timeout=10.0,
            schedule=RetrySchedule(time_scale=TIME_SCALE),
            disable=DisablePolicy(time_scale=TIME_SCALE),
        )
        Path(folder).mkdir(parents=True, exist_ok=True)
        clock = ShiftedClock()
        server = SandboxServer(Path(folder) / "sandbox.db", settings=settings, clock=clock)
        try:
            with serve_asgi(server.asgi()) as url:
                yield cls(server, url, clock)
        finally:
            server.close()

    def advance(self, seconds: float) -> None:
        """Move the sandbox's clock on: the events it makes next are that much later."""
        self.clock.offset += seconds

    # -- calling it -------------------------------------------------------------------------

    def client(self, key: str | None = None, account: str | Account | None = None) -> Any:
        """A ``stripe.StripeClient`` on the sandbox (the platform's key by default)."""
        import stripe

        client: stripe.StripeClient = stripe.StripeClient(
            key or self.api_key,
            stripe_account=None if account is None else str(account),
            base_addresses={"api": self.url},
            max_network_retries=0,
        )
        return client

    def request(
        self,
        method: str,
        path: str,
        json_body: Mapping[str, Any] | None = None,
        *,
        key: str | None = None,
    ) -> Any:
        """One call to the sandbox's API (JSON in and out); a refusal raises StripeAPIError."""
        response = httpx.request(
            method,
            self.url + path,
            json=None if json_body is None else dict(json_body),
            headers={"Authorization": f"Bearer {key or self.api_key}"},
            timeout=30,
        )
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.is_success and isinstance(body, dict):
            return body
        error = body.get("error", {}) if isinstance(body, dict) else {}
        raise StripeAPIError(
            f"{method} {path} answered {response.status_code}: "
            f"{error.get('message') or response.text[:200]}",
            status=response.status_code,
            code=error.get("code"),
            stripe_message=error.get("message"),
            url=self.url + path,
        )

    # -- the merchant's side ---------------------------------------------------------------

    def create_account(self, email: str | None = None) -> Account:
        """A new merchant account of its own (it may install apps)."""
        made = self.request("POST", "/_sandbox/accounts", {} if email is None else {"email": email})
        account = Account(made["id"], made["keys"]["test"], made["keys"]["live"])
        self.accounts[account.id] = account
        return account

    def register(self, app: AppRef) -> dict[str, Any]:
        """Register the app (or a new version) from its manifest; the app as the sandbox
        shows it to its developer (``id``, ``versions``, ``signing_secret``...)."""
        manifest = _manifest(app)
        if manifest is None:
            answer: dict[str, Any] = self.request("GET", f"/_sandbox/apps/{app}")
            return answer
        registered: dict[str, Any] = self.request("POST", "/_sandbox/apps", {"manifest": manifest})
        return registered

    def install(
        self, app: AppRef, account: str | Account | None = None, *, mode: str = "test"
    ) -> Account:
        """Install the app on ``account`` (default: a new one); returns the account. Emits
        ``account.application.authorized``, as an install at Stripe does."""
        registered = self.register(app)
        merchant = self._account(account)
        self.request(
            "POST",
            f"/_sandbox/apps/{registered['id']}/installs",
            {"account": merchant.id, "mode": mode},
            key=merchant.test_key,
        )
        self.advance(LIFECYCLE_STEP)
        return merchant

    def uninstall(self, app: AppRef, account: str | Account) -> None:
        """Uninstall it: emits ``account.application.deauthorized``."""
        registered = self.register(app)
        merchant = self._account(account)
        self.request(
            "DELETE",
            f"/_sandbox/apps/{registered['id']}/installs/{merchant.id}",
            key=merchant.test_key,
        )
        self.advance(LIFECYCLE_STEP)

    def trigger(
        self, event: str, account: str | Account | None = None, **options: Sequence[str]
    ) -> list[TriggeredEvent]:
        """Run ``appevents trigger EVENT`` as ``account`` (default: the platform itself);
        the events it caused, oldest first. ``options``: add, override, remove, skip, as
        lists of the Stripe CLI's ``--add``-style strings."""
        key = self.api_key if account is None else self._account(account).test_key
        body: dict[str, Any] = {"event": event, **{k: list(v) for k, v in options.items()}}
        ran = self.request("POST", "/_sandbox/trigger", body, key=key)
        return [TriggeredEvent(e["id"], e["type"]) for e in ran["events"]]

    def ui_request(
        self,
        app: AppRef,
        account: str | Account,
        *,
        user: str | None = None,
        payload: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """What the Dashboard gives the app's UI extension for a user of ``account``:
        ``headers`` (``Stripe-Signature``) and the JSON ``body`` to send the backend."""
        registered = self.register(app)
        body: dict[str, Any] = {"account": str(account)}
        if user is not None:
            body["user"] = user
        if payload is not None:
            body["payload"] = dict(payload)
        issued: dict[str, Any] = self.request(
            "POST", f"/_sandbox/apps/{registered['id']}/ui_signature", body
        )
        return issued

    def deliveries(self, event_id: str) -> dict[str, Any]:
        """The event's deliveries to the developer's endpoints, and those withheld (why)."""
        shown: dict[str, Any] = self.request("GET", f"/_sandbox/events/{event_id}/deliveries")
        return shown

    def cli_login(self, folder: str | Path) -> dict[str, str]:
        """Log the ``appevents`` CLI in to this sandbox, its login and the keys of the
        accounts made so far kept in ``folder``; the environment variables to run it with
        (``APPEVENTS_CONFIG_DIR``), for ``subprocess`` or ``monkeypatch.setenv``."""
        from .cli.config import Login, write_private_json

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        login = Login(self.url, self.platform, self.api_key, self.live_key, "pytest")
        write_private_json(folder / "config.json", dataclasses.asdict(login))
        keys = {a.id: {"test": a.test_key, "live": a.live_key} for a in self.accounts.values()}
        # What `appevents accounts create` keeps, so `apps install --account` works as them.
        write_private_json(folder / "merchants.json", {self.url: keys}, "the merchants' keys")
        return {"APPEVENTS_CONFIG_DIR": str(folder)}

    def _account(self, account: str | Account | None) -> Account:
        if account is None:
            return self.create_account()
        if isinstance(account, Account):
            return account
        known = self.accounts.get(account)
        if known is None:
            raise ConfigurationError(
                f"account {account!r} was not made by this sandbox's create_account(): pass "
                "the Account it returned (it holds the account's own keys), or none for a "
                "new one"
            )
        return known


def _manifest(app: AppRef) -> dict[str, Any] | None:
    """The manifest ``app`` names, or None when it is a registered app's id."""
    if isinstance(app, Mapping):
        return dict(app)
    path = Path(app)
    if isinstance(app, Path) or path.suffix == ".json" or path.is_file():
        try:
            loaded = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"app manifest {str(path)!r} cannot be read: {exc}") from None
        if not isinstance(loaded, dict):
            raise ConfigurationError(f"app manifest {str(path)!r} is not a JSON object")
        return loaded
    return None
