"""The webhook view: Django's request in, the receiver's own reply out."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from ...errors import AppEventsError
from ...receiver.replies import Reply, error_reply, method_not_allowed, too_large
from . import conf

__all__ = ["json_response", "webhook"]

log = logging.getLogger("appevents.django")


@csrf_exempt  # type: ignore[untyped-decorator]  # Stripe signs its deliveries; it has no CSRF token to send
def webhook(request: HttpRequest) -> HttpResponse:
    """Hand the raw body and ``Stripe-Signature`` to the receiver's WSGI endpoint, which
    verifies, deduplicates and commits it before the 200 (the same path as every shell).

    Every method reaches this view, so that a GET gets the receiver's JSON 405 with
    ``Allow: POST`` rather than Django's HTML one."""
    endpoint = conf.endpoint()
    limit = endpoint.app.max_body_bytes
    signature = request.headers.get("Stripe-Signature")
    remote = request.META.get("REMOTE_ADDR")
    refused: Reply | None = None
    body = b""
    if request.method != "POST":
        refused = method_not_allowed(str(request.method))
    elif _declared_length(request) > limit:
        refused = too_large(limit)
    else:
        # Read through the stream, bounded: request.body would first check Django's own
        # DATA_UPLOAD_MAX_MEMORY_SIZE and answer an HTML 400 for a large delivery.
        body = request.read(limit + 1)
        if len(body) > limit:
            refused = too_large(limit)
    try:
        if refused is not None:
            endpoint.runtime.rejections.rejected(refused, signature, remote, path=request.path)
            return json_response(refused)
        return json_response(endpoint.deliver(body, signature, remote))
    except AppEventsError:
        # The store did not open (each delivery tries again): 503, so Stripe retries,
        # and the reason in the site's log rather than in Stripe's delivery log.
        log.exception("appevents: the receiver could not start; the delivery will be retried")
        return json_response(_NOT_STARTED)


_NOT_STARTED = error_reply(
    503, "receiver_unavailable", "the receiver could not start; Stripe will retry"
)


def _declared_length(request: HttpRequest) -> int:
    text = str(request.META.get("CONTENT_LENGTH") or "")
    return int(text) if text.isdigit() else 0


def json_response(reply: Reply) -> HttpResponse:
    response = HttpResponse(reply.body, status=reply.status, content_type="application/json")
    if reply.status == 405:
        response["Allow"] = "POST"
    return response
