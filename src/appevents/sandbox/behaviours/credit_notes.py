"""Credit notes: an amount taken off a finalized invoice.

``POST /v1/credit_notes`` credits an ``open`` or ``paid`` invoice by its ``lines``
(``custom_line_item``: unit_amount × quantity; ``invoice_line_item``: an invoice line's
amount, or the amount given) or by ``amount``; the total may not be more than what the
invoice still has to credit. On an open invoice it is ``pre_payment``: the invoice's
``pre_payment_credit_notes_amount`` grows and its amount due (and its payment intent's
amount) shrinks; on a paid one it is ``post_payment``. Its number is the invoice's with
``-CN-<n>``. Stripe emits ``credit_note.created`` then ``invoice.updated``; voiding emits
``credit_note.voided`` then ``invoice.updated`` giving the amount back. Updating its memo or
metadata is the generic ``credit_note.updated``.
"""

from __future__ import annotations

from typing import Any

from ..rest import spec, store
from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import InvalidRequest
from .invoices import add_up, transition

__all__ = ["BEHAVIOURS"]

_CREDITED = {"pre_payment": "pre_payment_credit_notes_amount",
             "post_payment": "post_payment_credit_notes_amount"}  # fmt: skip


def create_credit_note(engine: Engine, request: Request) -> Any:
    params = request.params
    caller = request.caller
    engine.require(caller, "credit_note", write=True)
    invoice = engine.load(caller, str(params.get("invoice") or ""), ("invoice",))
    if invoice.get("status") not in ("open", "paid"):
        raise InvalidRequest(
            f"Invoice {invoice['id']} is {invoice.get('status')}: credit notes can only be "
            "issued on open or paid invoices. Finalize it first.",
            param="invoice",
        )
    kind = "pre_payment" if invoice["status"] == "open" else "post_payment"
    resource = spec.resource("credit_note")
    assert resource is not None  # the spec has credit notes
    note = engine.new(resource, {k: v for k, v in params.items() if k != "lines"}, caller)
    lines = _lines(engine, request, invoice, params)
    amount = sum(int(line["amount"]) for line in lines)
    room = invoice["amount_remaining"] if kind == "pre_payment" else invoice["amount_paid"]
    room -= int(invoice.get(_CREDITED["post_payment"]) or 0) if kind == "post_payment" else 0
    if amount <= 0 or amount > room:
        raise InvalidRequest(
            f"The credit note's total ({amount}) must be more than 0 and at most what invoice "
            f"{invoice['id']} has left to credit ({room}): lower its lines or amount.",
            param="lines" if "lines" in params else "amount",
        )
    count = len(_notes_of(engine, request, invoice["id"])) + 1
    now = engine.sandbox.now()
    note.update(
        amount=amount, subtotal=amount, subtotal_excluding_tax=amount, total=amount,
        total_excluding_tax=amount, discount_amount=0, discount_amounts=[], tax_amounts=[],
        currency=invoice["currency"], customer=invoice["customer"], invoice=invoice["id"],
        number=f"{invoice.get('number')}-CN-{count:02d}", status="issued", type=kind,
        effective_at=now, voided_at=None,
        pdf=f"https://pay.stripe.com/credit_notes/{caller.account}/{note['id']}/pdf",
        lines={"object": "list", "data": lines, "has_more": False, "total_count": len(lines),
               "url": f"/v1/credit_notes/{note['id']}/lines"},
    )  # fmt: skip
    with engine.sandbox.transaction() as db:
        engine.record(caller, note, "created", request)
        for line in lines:
            store.save(db, caller.account, caller.livemode, line, now)
            store.add_child(db, caller.account, note["lines"]["url"], line["id"])
        _credit(engine, request, invoice, kind, amount)
    return note


def _lines(
    engine: Engine, request: Request, invoice: dict[str, Any], params: dict[str, Any]
) -> list[dict[str, Any]]:
    resource = spec.resource("credit_note_line_item")
    assert resource is not None  # the spec has credit note lines
    given = params.get("lines") or []
    if not given and isinstance(params.get("amount"), int):
        given = [{"type": "custom_line_item", "unit_amount": params["amount"], "quantity": 1,
                  "description": params.get("memo") or "Credit"}]  # fmt: skip
    invoice_lines = {line["id"]: line for line in invoice["lines"]["data"]}
    made = []
    for index, each in enumerate(given):
        quantity = int(each.get("quantity") or 1)
        line = engine.new(resource, {}, request.caller)
        if each.get("type") == "invoice_line_item":
            source = invoice_lines.get(str(each.get("invoice_line_item")))
            if source is None:
                raise InvalidRequest(
                    f"No such invoice line: '{each.get('invoice_line_item')}' is not a line "
                    f"of invoice {invoice['id']}.",
                    param=f"lines[{index}][invoice_line_item]",
                )
            amount = int(each.get("amount") or source["amount"])
            line.update(invoice_line_item=source["id"], description=source.get("description"))
        else:
            amount = int(each.get("unit_amount") or 0) * quantity
            line["description"] = each.get("description")
            line.pop("invoice_line_item", None)  # Stripe sends it for invoice lines only
        unit = amount // quantity
        line.update(
            type=each.get("type", "custom_line_item"), amount=amount,
            amount_excluding_tax=amount, quantity=quantity, unit_amount=unit,
            unit_amount_decimal=str(unit), unit_amount_excluding_tax=str(unit),
            discount_amount=0, discount_amounts=[], tax_amounts=[], tax_rates=[],
        )  # fmt: skip
        made.append(line)
    return made


def _notes_of(engine: Engine, request: Request, invoice_id: str) -> list[dict[str, Any]]:
    caller = request.caller
    notes = store.list_of(engine.sandbox.db, caller.account, caller.livemode, ["credit_note"])
    return [note for note in notes if note.get("invoice") == invoice_id]


def _credit(
    engine: Engine, request: Request, invoice: dict[str, Any], kind: str, amount: int
) -> None:
    """The invoice credited by ``amount`` (negative: given back), ``invoice.updated``; a
    pre-payment credit shrinks the amount its payment intent is for."""
    field = _CREDITED[kind]
    changed = dict(invoice)
    changed[field] = int(invoice.get(field) or 0) + amount
    add_up(changed)
    names = (field, "amount_due", "amount_remaining")
    transition(engine, request, invoice, ("updated",), **{k: changed[k] for k in names})
    intent_id = invoice.get("payment_intent")
    caller = request.caller
    intent = store.find(engine.sandbox.db, caller.account, str(intent_id)) if intent_id else None
    if kind == "pre_payment" and intent is not None and intent.get("status") != "succeeded":
        intent["amount"] = invoice["amount_due"]
        # Stripe emits no event for the intent's new amount.
        store.save(engine.sandbox.db, caller.account, caller.livemode, intent,
                   engine.sandbox.now())  # fmt: skip


def void_credit_note(engine: Engine, request: Request) -> Any:
    caller = request.caller
    engine.require(caller, "credit_note", write=True)
    note = engine.load(caller, request.object_id, ("credit_note",))
    if note.get("status") != "issued":
        raise InvalidRequest(
            f"Credit note {note['id']} is already void: it cannot be voided again."
        )
    invoice = engine.load(caller, str(note["invoice"]), ("invoice",))
    with engine.sandbox.transaction():
        note.update(status="void", voided_at=engine.sandbox.now())
        engine.record(caller, note, "voided", request)
        _credit(engine, request, invoice, str(note["type"]), -int(note["amount"]))
    return note


BEHAVIOURS: dict[str, Behaviour] = {
    "PostCreditNotes": create_credit_note,
    "PostCreditNotesIdVoid": void_credit_note,
}
