"""The appevents receiver under test: one trivial handler, so the benchmark measures the
receiver (verify, parse, durable group commit, worker bookkeeping), not an app's work.

Secret and store come from `appevents serve` flags (peers.py).
"""

from __future__ import annotations

from appevents import Event
from appevents.receiver import App, Context

app = App()


@app.on("payment_intent.succeeded")
def payment_succeeded(event: Event, ctx: Context) -> None:
    # Touch the object as a real handler would; do no I/O.
    _ = event.object["amount_received"]
