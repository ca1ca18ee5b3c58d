"""`appevents serve`'s metrics, health and log options, and what they build.

``--metrics-port`` starts a listener of its own beside the webhook (``/metrics``,
``/healthz``, ``/readyz``: ``receiver.observability``); ``--log-format json`` writes
every log line as a JSON object (``receiver.logs``). prometheus_client is optional: it
is imported only when metrics are asked for, and its absence is said with the fix.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from ..errors import AppEventsError
from ..receiver.health import DEFAULT_MAX_BACKLOG, DEFAULT_MAX_WORKER_AGE, Readiness
from ..receiver.logs import TEXT_FORMAT, JSONFormatter
from ..receiver.runtime import Runtime
from .common import guard

if TYPE_CHECKING:  # prometheus_client is optional: metrics.py is imported when asked for
    from ..receiver.metrics import Metrics
    from ..receiver.observability import ObservabilityServer

__all__ = [
    "configure_logging",
    "log_format_option",
    "metrics_for",
    "metrics_options",
    "observability_server",
]


def configure_logging(level: str, log_format: str = "text") -> None:
    handler = logging.StreamHandler()
    formatter = JSONFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(formatter)
    logging.basicConfig(level=level.upper(), handlers=[handler])


def log_format_option(function: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--log-format",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="Log lines as text, or as JSON objects one a line (time, level, logger, "
        "message, and a refused delivery's reason, status, remote, path, event_id...).",
    )(function)


def metrics_options(function: click.decorators.FC) -> click.decorators.FC:
    """--metrics-port, --metrics-host and the readiness thresholds of its /readyz."""
    options = [
        click.option(
            "--metrics-port",
            type=click.IntRange(0, 65535),
            default=None,
            help="Serve /metrics (Prometheus), /healthz and /readyz on this port, apart from "
            "the webhook (0: a free one); needs pip install 'appevents[metrics]'. "
            "[default: off]",
        ),
        click.option(
            "--metrics-host",
            default="127.0.0.1",
            show_default=True,
            help="Interface the metrics listener binds.",
        ),
        click.option(
            "--ready-max-backlog",
            type=click.IntRange(min=0),
            default=DEFAULT_MAX_BACKLOG,
            show_default=True,
            help="/readyz answers 503 when more events than this wait (pending, or failed "
            "and due again).",
        ),
        click.option(
            "--ready-max-worker-age",
            type=click.FloatRange(min=0),
            default=DEFAULT_MAX_WORKER_AGE,
            show_default=True,
            help="/readyz answers 503 when no worker beat in the store for this many "
            "seconds (0: not checked; not checked with --no-worker either).",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def metrics_for(port: int | None, clock: Callable[[], float]) -> Metrics | None:
    """The receiver's metrics if --metrics-port asks for them; a usage error saying how
    to install prometheus_client if it is missing."""
    if port is None:
        return None
    from ..receiver.metrics import Metrics, require_prometheus

    try:
        require_prometheus("--metrics-port")
    except AppEventsError as exc:
        raise click.UsageError(str(exc)) from None
    return Metrics(clock=clock)


def observability_server(
    runtime: Runtime,
    *,
    host: str,
    port: int,
    max_backlog: int,
    max_worker_age: float,
    worker_here: bool,
    clock: Callable[[], float],
) -> ObservabilityServer:
    """The metrics listener; ``worker_here`` False (--no-worker): the workers run
    elsewhere, and their absence must not take this receiver, which can still store
    deliveries, out of its load balancer."""
    from ..receiver.observability import ObservabilityServer

    check_worker = worker_here and max_worker_age > 0
    readiness = guard(Readiness)(
        max_backlog=max_backlog,
        max_worker_age=max_worker_age if check_worker else None,
        clock=clock,
    )
    return ObservabilityServer(runtime, readiness, host=host, port=port)
