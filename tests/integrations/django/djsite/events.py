"""The receiver's App: its handlers write a Payment row, or fail after writing one."""

from __future__ import annotations

from appevents import App, RetryPolicy

handled: list[str] = []

# settings.APPEVENTS gives the secrets and the store; one attempt: a failure is dead at once
receiver = App(store="memory://", retry=RetryPolicy(max_attempts=1))


@receiver.on("payment_intent.succeeded")
def record_payment(event, ctx):
    payments().create(event_id=event.id, account=ctx.account)
    handled.append(event.id)


@receiver.on("charge.failed")
def record_then_fail(event, ctx):
    payments().create(event_id=event.id, account=ctx.account)
    handled.append(event.id)
    raise RuntimeError(f"the handler failed after writing {event.id}")


def payments():
    """The Payment rows of the database the inbox is in (the tests use two)."""
    from django.conf import settings

    from .models import Payment

    return Payment.objects.using(settings.APPEVENTS.get("DATABASE", "default"))


@receiver.on("invoice.paid")
def note(event):
    handled.append(event.id)
