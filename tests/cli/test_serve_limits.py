"""`appevents serve`'s server limits, set on the command line and enforced by the process."""

from __future__ import annotations

import json

from click.testing import CliRunner

from appevents.cli.main import cli
from raw_http import closed_by_server, connect, read_response
from servers import free_port, serve_process

SECRET = "whsec_serve_limits"
APP = "from appevents.receiver import App\napp = App()\n"
FLAGS = ["--max-connections", "--max-url-bytes", "--max-header-bytes", "--linger-timeout"]


def test_help_lists_the_limits():
    result = CliRunner().invoke(cli, ["serve", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for flag in FLAGS:
        assert flag in result.output


def test_a_limit_out_of_range_is_a_one_line_usage_error(tmp_path):
    for flag, value in zip(FLAGS, ["0", "10", "100", "-1"], strict=True):
        result = CliRunner().invoke(cli, ["serve", "app:app", "--secret", SECRET, flag, value])
        assert result.exit_code == 2, (flag, result.output)
        last = result.output.strip().splitlines()[-1]
        assert last.startswith("Error: Invalid value for") and flag in last and value in last


def test_the_process_enforces_the_limits_it_was_given(tmp_path):
    (tmp_path / "limitsapp.py").write_text(APP)
    port = free_port()
    args = ["limitsapp:app", "--app-dir", str(tmp_path), "--secret", SECRET, "--no-worker",
            "--store", f"sqlite:///{tmp_path / 'inbox.db'}",
            "--max-connections", "1", "--max-url-bytes", "512"]  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    with serve_process(args, cwd=tmp_path, port=port), connect(base) as held:
        with connect(base) as second:
            status, headers, body = read_response(second, bytearray())
            assert (status, headers["connection"]) == (503, "close")
            assert json.loads(body)["error"]["code"] == "too_many_connections"
            assert closed_by_server(second)
        held.sendall(b"GET /" + b"a" * 600 + b" HTTP/1.1\r\nHost: t\r\n\r\n")
        status, _, body = read_response(held, bytearray())
        assert (status, json.loads(body)["error"]["code"]) == (414, "url_too_long")
