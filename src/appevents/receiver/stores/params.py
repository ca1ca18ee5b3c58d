"""The named parameters of the PostgreSQL statements, built once for the two places that
run them: the PostgreSQL store (its batches and inserts) and the Django database store on
PostgreSQL, whose ``queries.sql`` name the same parameters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...event import Event
from ..inbox import Source
from ..installations import Installation

__all__ = ["erase_params", "insert_params", "installation_params", "prune_params"]


def insert_params(events: Sequence[Event], received_at: float, source: Source) -> dict[str, Any]:
    """``insert_events``': one array per column, one element per event."""
    return {
        "received_at": received_at,
        "ids": [e.id for e in events],
        "accounts": [e.account or "" for e in events],  # '' is the platform's own account
        "livemodes": [e.livemode for e in events],
        "types": [e.type for e in events],
        "created": [e.created for e in events],
        "payloads": [e.raw for e in events],
        "source": str(source),
    }


def installation_params(installation: Installation, now: float) -> dict[str, Any]:
    """``save_installation``'s: the installation's columns and ``updated_at``."""
    i = installation
    return {
        "account": i.account,
        "livemode": i.livemode,
        "status": i.status,
        "source": i.source,
        "application_id": i.application_id,
        "application_name": i.application_name,
        "installed_at": i.installed_at,
        "uninstalled_at": i.uninstalled_at,
        "lifecycle_created": i.lifecycle_created,
        "lifecycle_event_id": i.lifecycle_event_id,
        "last_deauthorized_at": i.last_deauthorized_at,
        "active_since_evidence": i.active_since_evidence,
        "updated_at": now,
    }


def erase_params(account: str, livemode: bool, through_created: int, now: float) -> dict[str, Any]:
    """``erase_account``'s and ``erase_account_attempts``'."""
    return {
        "now": now,
        "account": account,
        "livemode": livemode,
        "through_created": through_created,
    }


def prune_params(
    done_before: float | None,
    dead_before: float | None,
    created_before: int,
    now: float,
    limit: int,
) -> dict[str, Any]:
    """``prune``'s: the retention's cut-offs (None: kept), Stripe's 30 days, the batch."""
    return {
        "done_before": done_before,
        "dead_before": dead_before,
        "created_before": created_before,
        "now": now,
        "limit": limit,
    }
