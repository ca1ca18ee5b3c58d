"""What an `appevents` command ended with: the output of one that must succeed (or end with a
given code), and what one refusing its input must show: exit 1 or 2, no traceback, and
exactly one line `Error: …` holding each expected text."""

from __future__ import annotations

from click.testing import CliRunner, Result

from appevents.cli.main import cli


def run(*args: str, code: int = 0) -> str:
    """The output of ``appevents ARGS`` run in this process, which must exit with ``code``."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def assert_error_line(output: str, exit_code: int, *expected: str, where: object = None) -> str:
    """The checks on a command's ``output`` and ``exit_code``; returns the `Error:` line."""
    where = output if where is None else where
    assert exit_code in (1, 2), (exit_code, where)
    assert "Traceback" not in output, where
    errors = [line for line in output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, where
    for text in expected:
        assert text in errors[0], (text, where)
    return errors[0]


def assert_one_error(result: Result, *expected: str) -> str:
    """The checks on a `CliRunner` result, which must have ended in ``SystemExit``."""
    assert isinstance(result.exception, SystemExit), (result.exception, result.output)
    return assert_error_line(result.output, result.exit_code, *expected)
