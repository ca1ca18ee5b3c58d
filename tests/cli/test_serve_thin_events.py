"""`appevents serve --api-key --api-base`: the worker (a child process) fetches a thin
event's related object with them, from an HTTP server on 127.0.0.1 answering as Stripe."""

from __future__ import annotations

import sqlite3

import httpx
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from appevents.cli.main import cli
from appevents.testing import make_thin_event, signed_headers
from servers import asgi_server, free_port, poll_until, serve_process

SECRET = "whsec_serve_thin"
KEY = "sk_test_serve_thin"
APP = """from appevents.receiver import App
app = App()

@app.on_setup
def schema(db):
    db.execute("CREATE TABLE IF NOT EXISTS meters (id TEXT, name TEXT)")

@app.on("v1.billing.meter.updated")
def on_meter(event, ctx):
    meter = ctx.fetch_related_object()
    ctx.transaction.execute("INSERT INTO meters VALUES (?, ?)", (meter["id"], meter["name"]))
"""


def fake_stripe(seen: list[dict[str, str]]) -> Starlette:
    async def meter(request: Request) -> JSONResponse:
        seen.append(dict(request.headers))
        if request.headers.get("authorization") != f"Bearer {KEY}":
            error = {"type": "invalid_request_error", "message": "Invalid API Key provided"}
            return JSONResponse({"error": error}, status_code=401)
        meter_id = request.path_params["id"]
        return JSONResponse({"id": meter_id, "object": "billing.meter", "name": "calls"})

    return Starlette(routes=[Route("/v1/billing/meters/{id}", meter)])


def test_the_worker_child_fetches_with_the_key_and_base_given_to_serve(tmp_path):
    (tmp_path / "meterapp.py").write_text(APP)
    db_path = tmp_path / "inbox.db"
    seen: list[dict[str, str]] = []
    port = free_port()
    related = {"id": "mtr_7", "type": "billing.meter", "url": "/v1/billing/meters/mtr_7"}
    body = make_thin_event("v1.billing.meter.updated", context="acct_7", related_object=related)
    with asgi_server(fake_stripe(seen)) as stripe_base:
        args = ["meterapp:app", "--app-dir", str(tmp_path), "--secret", SECRET,
                "--store", f"sqlite:///{db_path}", "--api-key", KEY, "--api-base", stripe_base]  # fmt: skip
        # A key in the environment must lose to the one on the command line.
        with serve_process(args, cwd=tmp_path, port=port, env={"APPEVENTS_API_KEY": "sk_x"}):
            url = f"http://127.0.0.1:{port}/webhook"
            response = httpx.post(url, content=body, headers=signed_headers(body, SECRET))
            assert response.status_code == 200

            def meters():
                with sqlite3.connect(db_path) as db:
                    return db.execute("SELECT id, name FROM meters").fetchall()

            poll_until(lambda: meters() == [("mtr_7", "calls")], timeout=30)
    assert [(h["authorization"], h["stripe-account"]) for h in seen] == [
        (f"Bearer {KEY}", "acct_7")
    ]


def test_serve_help_names_the_api_options_and_their_environment_variables():
    for command in ("serve", "worker"):
        result = CliRunner().invoke(cli, [command, "--help"], terminal_width=200)
        assert result.exit_code == 0, result.output
        assert "--api-key" in result.output and "APPEVENTS_API_KEY" in result.output
        assert "--api-base" in result.output and "APPEVENTS_API_BASE" in result.output


def test_an_api_base_that_is_not_a_url_is_refused_before_serving(tmp_path):
    (tmp_path / "meterapp.py").write_text(APP)
    result = CliRunner().invoke(
        cli,
        ["serve", "meterapp:app", "--app-dir", str(tmp_path), "--secret", SECRET,
         "--store", f"sqlite:///{tmp_path / 'inbox.db'}", "--api-base", "api.stripe.com"],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "api_base 'api.stripe.com' is not an http(s) URL" in result.output
    assert "Traceback" not in result.output
