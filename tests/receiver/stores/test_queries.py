"""Named queries: each file's fragments are spliced where a query names them."""

from __future__ import annotations

from appevents.receiver.stores import queries
from appevents.receiver.stores.queries import load_queries


def test_a_query_naming_a_fragment_of_its_file_gets_its_text_and_other_braces_stay(
    monkeypatch,
):
    text = (
        "-- name: recent\nSELECT seq FROM inbox WHERE created > ?\n\n"
        "-- name: erase\nDELETE FROM payloads WHERE seq IN ({recent}) AND {where}\n"
    )
    monkeypatch.setattr(queries, "load_script", lambda package, filename: text)
    loaded = load_queries.__wrapped__("any.package", "any.sql")
    assert loaded["erase"] == (
        "DELETE FROM payloads WHERE seq IN (SELECT seq FROM inbox WHERE created > ?) AND {where}"
    )


def test_the_sqlite_queries_name_no_missing_fragment():
    for name, sql in load_queries("appevents.receiver.stores.sqlite", "queries.sql").items():
        assert "{busy_accounts}" not in sql and "{account_events}" not in sql, name
