"""A report run succeeds at once, with a result file the sandbox serves."""

from __future__ import annotations

import pytest
import stripe


def test_a_report_run_succeeds_with_its_result_file(sandbox):
    client = sandbox.client()
    run = client.v1.reporting.report_runs.create(
        {"report_type": "balance.summary.1",
         "parameters": {"interval_start": 1_700_000_000, "interval_end": 1_700_086_400}}
    )  # fmt: skip
    assert run.status == "succeeded" and run.succeeded_at is not None and run.error is None
    assert run.result is not None and run.result.purpose == "finance_report_run"
    assert client.v1.files.retrieve(run.result.id).id == run.result.id
    assert client.v1.reporting.report_runs.retrieve(run.id).status == "succeeded"
    events = client.v1.events.list().data
    assert [event.type for event in events] == ["reporting.report_run.succeeded"]
    assert events[0].data.object["result"]["id"] == run.result.id


def test_an_interval_ending_before_it_starts_is_refused(sandbox):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sandbox.client().v1.reporting.report_runs.create(
            {"report_type": "balance.summary.1",
             "parameters": {"interval_start": 1_700_086_400, "interval_end": 1_700_000_000}}
        )  # fmt: skip
    assert refused.value.param == "parameters[interval_start]"
    assert sandbox.client().v1.events.list().data == []
