"""Log lines as JSON objects, one a line, for log collectors (``serve --log-format json``).

Each line has ``time`` (RFC 3339, UTC), ``level``, ``logger`` and ``message``; a record
that carries structured fields (``extra={"appevents": {...}}``, as every refused
delivery's does: ``reason``, ``status``, ``remote``, ``path``, ``event_id``,
``suppressed``...) has them beside, so a collector can filter on them without parsing
the message. An exception's traceback is in ``exception``.
"""

from __future__ import annotations

import datetime
import json
import logging

__all__ = ["TEXT_FORMAT", "JSONFormatter"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_RESERVED = ("time", "level", "logger", "message", "exception")


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        when = datetime.datetime.fromtimestamp(record.created, datetime.UTC)
        line: dict[str, object] = {
            "time": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "appevents", None)
        if isinstance(fields, dict):
            line.update({k: v for k, v in fields.items() if k not in _RESERVED})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)
