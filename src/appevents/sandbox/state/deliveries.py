"""Deliveries and their attempts, as the delivery engine recorded them: read by the API
(``/_sandbox/events/{id}/deliveries``) and the dashboard."""

from __future__ import annotations

import sqlite3
from typing import Any

__all__ = ["attempts_of"]


def attempts_of(db: sqlite3.Connection, delivery: int) -> list[dict[str, Any]]:
    """Every attempt of one delivery, oldest first: when, how long, the answer or error."""
    rows = db.execute(
        "SELECT number, at, duration_ms, status_code, response, error FROM delivery_attempts"
        " WHERE delivery = ? ORDER BY number",
        (delivery,),
    ).fetchall()
    return [dict(a) for a in rows]
