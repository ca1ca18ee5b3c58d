"""Regenerate the README's screenshots of the sandbox dashboard (docs/screenshots/*.png).

Starts a sandbox and a receiver on loopback ports, plays a small story through the API
(an app installed on two merchants, payments whose charges its permissions withhold),
and photographs the pages at 1280x800 in Debian's Chromium (APPEVENTS_CHROMIUM to use
another), then re-deflates each PNG at the highest compression.

    .venv/bin/python scripts/dashboard_screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import os
import struct
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import sync_playwright

from appevents.loopback import serve_asgi
from appevents.sandbox.server import SandboxServer

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = {
    "id": "com.example.payment-totals", "version": "1.0.0", "name": "Payment Totals", "icon": "",
    "permissions": [
        {"permission": "event_read", "purpose": "Receive the installed accounts' events"},
        {"permission": "payment_intent_read", "purpose": "Add up each account's payments"},
    ],
}  # fmt: skip


async def receiver(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b'{"received": true}'})


def story(url: str, key: str, hook: str) -> dict[str, str]:
    def call(path: str, key: str = key, **kwargs: Any) -> Any:
        answer = httpx.post(url + path, headers={"Authorization": f"Bearer {key}"}, **kwargs)
        answer.raise_for_status()
        return answer.json()

    app = call("/_sandbox/apps", json={"manifest": MANIFEST})
    call("/v1/webhook_endpoints", data={"url": hook, "enabled_events[]": "*", "connect": "true",
                                        "description": "Payment Totals backend"})  # fmt: skip
    merchants = []
    for name in ("Corner Bakery", "Riverside Florist"):
        merchant = call("/_sandbox/accounts", json={"business_profile": {"name": name}})
        merchant_key = merchant["keys"]["test"]
        call(f"/_sandbox/apps/{app['id']}/installs", key=merchant_key,
             json={"account": merchant["id"], "mode": "test"})  # fmt: skip
        for _ in range(2):
            call("/_sandbox/trigger", key=merchant_key, json={"event": "payment_intent.succeeded"})
        merchants.append(merchant)
    bakery_key = merchants[0]["keys"]["test"]
    time.sleep(1.0)  # the deliveries go out
    events = httpx.get(url + "/v1/events", headers={"Authorization": f"Bearer {bakery_key}"}).json()
    by_type = {e["type"]: e["id"] for e in reversed(events["data"])}
    return {
        "withheld": by_type["charge.succeeded"],
        "delivered": by_type["payment_intent.succeeded"],
    }


def optimize(path: Path) -> None:
    """Keep the image chunks only, deflated once more at level 9 (no other tool needed)."""
    data = path.read_bytes()
    chunks, offset, idat = [], 8, b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        offset += 12 + length
        if kind == b"IDAT":
            idat += body
        elif kind in (b"IHDR", b"PLTE"):
            chunks.append((kind, body))
    packed = zlib.compress(zlib.decompress(idat), 9)
    out = [data[:8]]
    for kind, body in [*chunks, (b"IDAT", packed), (b"IEND", b"")]:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        out.append(struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc))
    path.write_bytes(b"".join(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    chromium = os.environ.get("APPEVENTS_CHROMIUM", "/usr/bin/chromium")
    with tempfile.TemporaryDirectory() as folder:
        server = SandboxServer(Path(folder) / "sandbox.db")
        keys: dict[str, str] = server.platform()["keys"]  # type: ignore[assignment]
        try:
            with serve_asgi(receiver) as hook, serve_asgi(server.asgi()) as url:
                ids = story(url, keys["test"], f"{hook}/webhook")
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(executable_path=chromium,
                                                         args=["--no-sandbox"])  # fmt: skip
                    page = browser.new_page(viewport={"width": 1280, "height": 800})
                    shots = {
                        "events": "/events",
                        "event": f"/events/{ids['delivered']}",
                        "withheld": f"/events/{ids['withheld']}",
                    }
                    for name, path in shots.items():
                        page.goto(url + path)
                        if name == "event":
                            page.get_by_text("Request headers").click()
                        page.wait_for_timeout(300)  # the live view connects
                        target = out / f"{name}.png"
                        page.screenshot(path=str(target))
                        optimize(target)
                        print(f"{target.relative_to(ROOT)}: {target.stat().st_size // 1024} KiB")
                    browser.close()
        finally:
            server.close()


if __name__ == "__main__":
    main()
