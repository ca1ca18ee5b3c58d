"""The receiver's Prometheus metrics: deliveries by outcome, commits, the worker's attempts,
and the store's gauges, read over real HTTP from the metrics listener, on SQLite and
PostgreSQL; and the one bounded query every store answers them with."""

from __future__ import annotations

import contextlib
import json
import sys

import httpx
import pytest
from click.testing import CliRunner

from appevents.cli.main import cli
from appevents.errors import ConfigurationError
from appevents.event import Event
from appevents.receiver import App, MemoryStore, SQLiteStore
from appevents.receiver.health import Readiness
from appevents.receiver.inbox import Outcome, Status
from appevents.receiver.metrics import (
    Metrics,
    decode_results,
    encode_results,
    require_prometheus,
)
from appevents.receiver.retry import RetryPolicy
from appevents.testing import make_event, signed_headers
from cli_results import run
from observed_servers import FakeClock, observed_server, postgres_store
from servers import free_port, poll_until, serve_process

SECRET = "whsec_metrics_endpoint_secret"
WRONG = "whsec_not_this_endpoint"


@contextlib.contextmanager
def store_of(kind: str, tmp_path):
    if kind == "sqlite":
        yield SQLiteStore(tmp_path / "inbox.db")
    else:
        with postgres_store() as store:
            yield store


KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def post(url: str, body: bytes, secret: str, clock: FakeClock) -> httpx.Response:
    return httpx.post(url, content=body, headers=signed_headers(body, secret, int(clock.now)))


def received(samples, outcome: str, reason: str = "") -> float:
    return samples[("appevents_received_total", (("outcome", outcome), ("reason", reason)))]


@pytest.mark.parametrize("kind", KINDS)
def test_deliveries_are_counted_by_outcome_exactly(kind, tmp_path):
    clock = FakeClock()
    with store_of(kind, tmp_path) as store:
        app = App(SECRET, store=store, clock=clock)
        with observed_server(app) as observed:
            bodies = [make_event("customer.created", account=f"acct_{n % 3}") for n in range(7)]
            for body in bodies:  # N = 7 valid
                assert post(observed.webhook, body, SECRET, clock).status_code == 200
            for body in bodies[:4]:  # M = 4 duplicates
                assert post(observed.webhook, body, SECRET, clock).json()["duplicate"] is True
            for body in bodies[:5]:  # K = 5 with the wrong secret
                assert post(observed.webhook, body, WRONG, clock).status_code == 400
            assert httpx.get(observed.webhook).status_code == 405
            samples = observed.samples()
    assert received(samples, "stored") == 7
    assert received(samples, "duplicate") == 4
    assert received(samples, "rejected", "no_matching_signature") == 5
    assert received(samples, "rejected", "method_not_allowed") == 1
    assert not [
        k for k in samples if k[0] == "appevents_received_total" and "unavailable" in str(k)
    ]
    # Each group commit is observed once: 11 accepted deliveries, one commit or more each.
    commits = samples[("appevents_commit_seconds_count", ())]
    assert 1 <= commits <= 11
    assert samples[("appevents_commit_seconds_sum", ())] > 0
    assert samples[("appevents_store_up", ())] == 1
    assert samples[("appevents_backlog_events", ())] == 7
    assert samples[("appevents_unfinished_events", (("state", "pending"),))] == 7
    # Three accounts: 3, 2 and 2 pending, the busiest first; all received at the clock's now.
    assert samples[("appevents_account_unfinished_events", (("account", "acct_0"),))] == 3
    assert samples[("appevents_account_unfinished_events", (("account", "acct_1"),))] == 2
    assert samples[("appevents_account_lag_seconds", (("account", "acct_0"),))] == 0


def test_a_store_that_cannot_commit_counts_as_unavailable():
    clock = FakeClock()
    store = MemoryStore()
    app = App(SECRET, store=store, clock=clock)
    with observed_server(app) as observed:
        store.unavailable = RuntimeError("disk full")
        body = make_event("customer.created", account="acct_1")
        assert post(observed.webhook, body, SECRET, clock).status_code == 503
        samples = observed.samples()
    assert received(samples, "unavailable", "store_unavailable") == 1
    assert received(samples, "stored") == 0
    assert samples[("appevents_store_up", ())] == 0  # the backlog query failed as well
    assert ("appevents_backlog_events", ()) not in samples


@pytest.mark.parametrize("kind", KINDS)
def test_a_failing_handler_moves_events_to_failed_then_dead(kind, tmp_path):
    clock = FakeClock()
    with store_of(kind, tmp_path) as store:
        app = App(
            SECRET,
            store=store,
            clock=clock,
            retry=RetryPolicy(max_attempts=2, base_delay=10, jitter=0),
        )

        @app.on("customer.created")
        def refuse(event, ctx):
            raise RuntimeError("the handler is broken")

        @app.on("invoice.paid")
        def accept(event, ctx):
            pass

        with observed_server(app) as observed:
            for body in (
                make_event("customer.created", account="acct_1"),
                make_event("invoice.paid", account="acct_2"),
                make_event("invoice.paid", account="acct_3"),
            ):
                assert post(observed.webhook, body, SECRET, clock).status_code == 200
            observed.call(observed.runtime.worker.run_once())
            first = observed.samples()
            clock.now += 10  # the retry is due
            observed.call(observed.runtime.worker.run_once())
            second = observed.samples()

    def attempts(samples, kind, outcome):
        return samples.get(("appevents_attempts_total", (("outcome", outcome), ("type", kind))))

    assert attempts(first, "customer.created", "failed") == 1
    assert attempts(first, "invoice.paid", "done") == 2
    assert attempts(first, "customer.created", "dead") is None
    assert first[("appevents_unfinished_events", (("state", "failed_later"),))] == 1
    assert first[("appevents_backlog_events", ())] == 0  # its retry is not due yet
    assert attempts(second, "customer.created", "failed") == 1
    assert attempts(second, "customer.created", "dead") == 1
    assert second[("appevents_handler_seconds_count", (("type", "customer.created"),))] == 2
    assert second[("appevents_handler_seconds_count", (("type", "invoice.paid"),))] == 2
    assert second[("appevents_unfinished_events", (("state", "failed_later"),))] == 0


@pytest.mark.parametrize("kind", KINDS)
def test_backlog_and_oldest_pending_age_follow_the_injected_clock(kind, tmp_path):
    clock = FakeClock()
    with store_of(kind, tmp_path) as store:
        app = App(SECRET, store=store, clock=clock)
        with observed_server(app) as observed:
            old = make_event("customer.created", account="acct_old")
            assert post(observed.webhook, old, SECRET, clock).status_code == 200
            clock.now += 30
            for _ in range(2):
                body = make_event("customer.updated", account="acct_new")
                assert post(observed.webhook, body, SECRET, clock).status_code == 200
            clock.now += 12.5
            observed.call(store.beat("host-a:1", started_at=clock.now - 100, now=clock.now - 4))
            samples = observed.samples()
    assert samples[("appevents_backlog_events", ())] == 3
    assert samples[("appevents_oldest_pending_age_seconds", ())] == 42.5
    assert samples[("appevents_account_lag_seconds", (("account", "acct_old"),))] == 42.5
    assert samples[("appevents_account_lag_seconds", (("account", "acct_new"),))] == 12.5
    assert samples[("appevents_account_unfinished_events", (("account", "acct_new"),))] == 2
    assert samples[("appevents_worker_heartbeat_age_seconds", (("worker", "host-a:1"),))] == 4


def test_the_busiest_accounts_and_workers_are_bounded_by_top():
    clock = FakeClock()
    store = MemoryStore()
    app = App(SECRET, store=store, clock=clock)
    with observed_server(app, readiness=Readiness(top=2, clock=clock)) as observed:
        for n, account in enumerate(["acct_a"] * 3 + ["acct_b"] * 2 + ["acct_c"]):
            observed.call(store.insert_events([build_event(n, account=account)], clock.now))
        for n in range(3):
            observed.call(store.beat(f"host:{n}", started_at=0, now=clock.now - n))
        samples = observed.samples()
    lags = {k[1] for k in samples if k[0] == "appevents_account_lag_seconds"}
    assert lags == {(("account", "acct_a"),), (("account", "acct_b"),)}
    beats = {k[1] for k in samples if k[0] == "appevents_worker_heartbeat_age_seconds"}
    assert beats == {(("worker", "host:0"),), (("worker", "host:1"),)}
    assert samples[("appevents_backlog_events", ())] == 6  # the totals are not bounded


def test_metrics_of_two_apps_in_one_process_are_apart(tmp_path):
    clock = FakeClock()
    one, two = (
        App(SECRET, store=MemoryStore(), clock=clock),
        App(SECRET, store=MemoryStore(), clock=clock),
    )
    with observed_server(one) as first, observed_server(two) as second:
        body = make_event("customer.created", account="acct_1")
        assert post(first.webhook, body, SECRET, clock).status_code == 200
        assert received(first.samples(), "stored") == 1
        assert received(second.samples(), "stored") == 0
    from prometheus_client import REGISTRY

    assert REGISTRY.get_sample_value("appevents_received_total") is None


def test_a_child_workers_results_travel_as_short_lines():
    results = []
    for n in range(300):
        event = build_event(n, event_type="payment_intent.succeeded")
        stored = _stored(event)
        results.append((stored, Outcome(Status.DONE, 10.0, 10.25)))
    lines = encode_results(results)
    assert len(lines) > 1 and all(len(line) < 4096 and line.endswith(b"\n") for line in lines)
    decoded = [item for line in lines for item in decode_results(line)]
    assert decoded == [("payment_intent.succeeded", "done", 0.25)] * 300
    assert decode_results(b"not json\n") == []
    metrics = Metrics()
    metrics.observe(decoded)
    assert (
        metrics.registry.get_sample_value(
            "appevents_attempts_total", {"type": "payment_intent.succeeded", "outcome": "done"}
        )
        == 300
    )


def test_without_prometheus_client_metrics_say_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    with pytest.raises(ConfigurationError) as raised:
        require_prometheus("--metrics-port")
    assert "pip install 'appevents[metrics]'" in str(raised.value)
    assert "--metrics-port" in str(raised.value)


def build_event(n: int, *, account: str = "acct_1", event_type: str = "customer.created"):
    return Event.parse(make_event(event_type, account=account, created=1_796_000_000 + n))


def _stored(event):
    from appevents.receiver.inbox import StoredEvent

    return StoredEvent(
        id=event.id, account=event.account, livemode=event.livemode, type=event.type,
        created=event.created, status=Status.PENDING, attempts=1, received_at=1.0,
        available_at=1.0, completed_at=None, last_error=None, erased_at=None, payload=event.raw,
    )  # fmt: skip


SERVED_APP = """
from appevents.receiver import App
from appevents.receiver.retry import RetryPolicy

app = App(retry=RetryPolicy(max_attempts=1))

@app.on("customer.created")
def refuse(event, ctx):
    raise RuntimeError("the handler is broken")

@app.on("invoice.paid")
def accept(event, ctx):
    pass
"""


def test_serve_counts_its_child_workers_attempts_and_inbox_stats_agree(tmp_path):
    (tmp_path / "servedapp.py").write_text(SERVED_APP)
    port, metrics_port = free_port(), free_port()
    store = f"sqlite:///{tmp_path / 'inbox.db'}"
    args = ["servedapp:app", "--app-dir", str(tmp_path), "--secret", SECRET, "--store", store,
            "--metrics-port", str(metrics_port)]  # fmt: skip
    base = f"http://127.0.0.1:{metrics_port}"
    with serve_process(args, cwd=tmp_path, port=port):
        url = f"http://127.0.0.1:{port}/webhook"
        bodies = [make_event("invoice.paid", account=f"acct_{n}") for n in range(3)]
        bodies.append(make_event("customer.created", account="acct_9"))
        for body in bodies:
            response = httpx.post(url, content=body, headers=signed_headers(body, SECRET))
            assert response.status_code == 200

        def settled():
            samples = _scrape(base)
            done = samples.get(
                ("appevents_attempts_total", (("outcome", "done"), ("type", "invoice.paid")))
            )
            dead = samples.get(
                ("appevents_attempts_total", (("outcome", "dead"), ("type", "customer.created")))
            )
            return samples if (done, dead) == (3, 1) else None

        samples = poll_until(settled, what="the child worker's attempts in /metrics")
        ready = poll_until(
            lambda: (r := httpx.get(base + "/readyz")).status_code == 200 and r,
            what="a ready receiver",
        )
        figures = json.loads(run("inbox", "stats", "--json", "--store", store))
    assert received(samples, "stored") == 4
    assert ready.json()["checks"]["worker"]["ok"] is True
    assert figures["by_status"]["done"] == 3 and figures["dead"] == 1
    assert figures["backlog"] == samples[("appevents_backlog_events", ())] == 0
    [worker] = figures["workers"]  # the child process, beating in the store
    assert ("appevents_worker_heartbeat_age_seconds", (("worker", worker["worker"]),)) in samples


def test_serve_refuses_metrics_without_prometheus_client(tmp_path, monkeypatch):
    (tmp_path / "servedapp.py").write_text(SERVED_APP)
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    result = CliRunner().invoke(
        cli,
        ["serve", "servedapp:app", "--app-dir", str(tmp_path), "--secret", SECRET,
         "--store", f"sqlite:///{tmp_path / 'inbox.db'}", "--metrics-port", "0"],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "--metrics-port needs prometheus_client" in result.output
    assert "pip install 'appevents[metrics]'" in result.output
    assert not (tmp_path / "inbox.db").exists()


def _scrape(base: str):
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(base + "/metrics").text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
