"""A listening device: a machine running `listen` for an account in one mode, with the
``whsec_`` secret its payloads are signed with and its cursor (the last event it is done
with), kept in ``cli_devices`` across sessions."""

from __future__ import annotations

from dataclasses import dataclass

from .service import Sandbox

__all__ = ["Device", "acknowledge", "open_device"]


@dataclass(frozen=True, slots=True)
class Device:
    account: str
    livemode: bool
    name: str
    secret: str


def open_device(sandbox: Sandbox, account: str, livemode: bool, name: str) -> Device:
    """The device's record, created on first use with a new secret and a cursor at now."""
    db = sandbox.db
    row = db.execute(
        "SELECT secret FROM cli_devices WHERE account = ? AND livemode = ? AND device = ?",
        (account, livemode, name),
    ).fetchone()
    if row is not None:
        return Device(account, livemode, name, row["secret"])
    secret = sandbox.ids.secret()
    (latest,) = db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()
    with sandbox.transaction():
        db.execute(
            "INSERT INTO cli_devices (account, livemode, device, secret, cursor)"
            " VALUES (?, ?, ?, ?, ?)",
            (account, livemode, name, secret, latest),
        )
    return Device(account, livemode, name, secret)


def acknowledge(sandbox: Sandbox, device: Device, seq: int) -> None:
    with sandbox.transaction() as db:
        db.execute(
            "UPDATE cli_devices SET cursor = MAX(cursor, ?)"
            " WHERE account = ? AND livemode = ? AND device = ?",
            (seq, device.account, device.livemode, device.name),
        )
