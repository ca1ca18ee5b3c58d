"""The live view's stream: it says "change" as soon as the inbox differs from what the
page showed, so the shared live.js refreshes the page's live regions; it needs the token."""

from __future__ import annotations

import re

import httpx

from appevents.testing import make_event


def test_the_stream_says_change_when_an_event_arrives(idle):
    client = idle.client()
    page = client.get("/").text
    stream = re.search(r'data-live-stream="([^"]+)"', page)
    assert stream is not None
    url = stream.group(1).replace("&amp;", "&")
    assert url.startswith("/live?since=")
    assert httpx.get(idle.base + url).status_code == 303  # no session, no stream
    with client.stream("GET", url) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        lines = answer.iter_lines()
        assert next(lines) == "retry: 1000"
        idle.deliver(make_event("invoice.paid", account="acct_1Live"))
        for line in lines:
            if line.startswith("event:"):
                assert line == "event: change"
                break
        else:
            raise AssertionError("the stream ended without a change")
    assert url.split("since=")[1] not in client.get("/").text  # the page has a new mark
