"""Reporting: a report run computes its report and succeeds with a result file.

Stripe runs a report asynchronously; the sandbox has nothing to compute, so a new run
succeeds at once: ``status`` ``succeeded``, ``succeeded_at`` set, and ``result`` a
``file`` of purpose ``finance_report_run`` (a CSV the sandbox keeps, served by
``/v1/files/{id}``), then ``reporting.report_run.succeeded`` (Stripe emits no
``.created`` for a run). The run's interval must be in order, as Stripe checks.
"""

from __future__ import annotations

from typing import Any

from ..rest import spec, store
from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import InvalidRequest

__all__ = ["BEHAVIOURS"]


def create_report_run(engine: Engine, request: Request) -> Any:
    caller = request.caller
    engine.require(caller, "reporting.report_run", write=True)
    parameters = request.params.get("parameters") or {}
    start, end = parameters.get("interval_start"), parameters.get("interval_end")
    if isinstance(start, int) and isinstance(end, int) and start >= end:
        raise InvalidRequest(
            f"parameters[interval_start] ({start}) must be before parameters[interval_end] "
            f"({end}): give an interval that ends after it starts.",
            param="parameters[interval_start]",
        )
    run_resource, file_resource = spec.resource("reporting.report_run"), spec.resource("file")
    assert run_resource is not None and file_resource is not None  # the spec has both
    run = engine.new(run_resource, request.params, caller)
    result = engine.new(file_resource, {}, caller)
    report_type = str(request.params.get("report_type", "report"))
    now = engine.sandbox.now()
    result.update(
        purpose="finance_report_run",
        type="csv",
        filename=f"{run['id']}.csv",
        title=f"{report_type} {run['id']}",
        size=0,
        expires_at=None,
        url=f"https://files.stripe.com/v1/files/{result['id']}/contents",
        links={"object": "list", "data": [], "has_more": False,
               "url": f"/v1/file_links?file={result['id']}"},
    )  # fmt: skip
    run.update(status="succeeded", succeeded_at=now, result=result, error=None)
    with engine.sandbox.transaction() as db:
        # A run's result is not announced by a file.created of its own: the run's event
        # carries it.
        store.save(db, caller.account, caller.livemode, result, now)
        engine.record(caller, run, "succeeded", request)
    return run


BEHAVIOURS: dict[str, Behaviour] = {"PostReportingReportRuns": create_report_run}
