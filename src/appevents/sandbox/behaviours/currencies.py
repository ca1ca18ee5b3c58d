"""The currencies Stripe charges in and the least amount it charges in each, which a payment
intent's ``amount`` and ``currency`` are checked against as Stripe checks them.

Stripe's minimum charge amounts (docs.stripe.com/currencies#minimum-and-maximum-charge-
amounts) are in the currency's smallest unit; a currency that has none listed takes the
equivalent of $0.50 (50 units for a two-decimal currency). Zero-decimal currencies (JPY,
KRW...) have no minor unit: their amounts are whole units.
"""

from __future__ import annotations

from ..stripe_errors import InvalidRequest

__all__ = ["SUPPORTED", "ZERO_DECIMAL", "check_amount", "minimum"]

ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd",
     "vuv", "xaf", "xof", "xpf"}
)  # fmt: skip
SUPPORTED = ZERO_DECIMAL | frozenset(
    {"usd", "aed", "afn", "all", "amd", "ang", "aoa", "ars", "aud", "awg", "azn", "bam",
     "bbd", "bdt", "bgn", "bmd", "bnd", "bob", "brl", "bsd", "bwp", "byn", "bzd", "cad",
     "cdf", "chf", "cny", "cop", "crc", "cve", "czk", "dkk", "dop", "dzd", "egp", "etb",
     "eur", "fjd", "fkp", "gbp", "gel", "gip", "gmd", "gtq", "gyd", "hkd", "hnl", "htg",
     "huf", "idr", "ils", "inr", "isk", "jmd", "kes", "kgs", "khr", "kyd", "kzt", "lak",
     "lbp", "lkr", "lrd", "lsl", "mad", "mdl", "mkd", "mmk", "mnt", "mop", "mur", "mvr",
     "mwk", "mxn", "myr", "mzn", "nad", "ngn", "nio", "nok", "npr", "nzd", "pab", "pen",
     "pgk", "php", "pkr", "pln", "qar", "ron", "rsd", "rub", "sar", "sbd", "scr", "sek",
     "sgd", "shp", "sle", "sos", "srd", "std", "szl", "thb", "tjs", "top", "try", "ttd",
     "twd", "tzs", "uah", "uyu", "uzs", "wst", "xcd", "yer", "zar", "zmw"}
)  # fmt: skip
_MINIMUMS = {
    "usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50,
    "czk": 1500, "dkk": 250, "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "inr": 50,
    "jpy": 50, "mxn": 1000, "myr": 200, "nok": 300, "nzd": 50, "pln": 200, "ron": 200,
    "sek": 300, "sgd": 50, "thb": 1000,
}  # fmt: skip


def minimum(currency: str) -> int:
    """The least amount Stripe charges in ``currency``, in its smallest unit."""
    return _MINIMUMS.get(currency, 1 if currency in ZERO_DECIMAL else 50)


def check_amount(amount: object, currency: object) -> None:
    """Stripe's 400 for an amount or currency it cannot charge: an unknown currency, an
    amount below 1, or one below the currency's minimum charge."""
    if isinstance(currency, str) and currency.lower() not in SUPPORTED:
        raise InvalidRequest(
            f"Invalid currency: {currency}. Stripe currently supports these currencies: "
            f"{', '.join(sorted(SUPPORTED))}.",
            param="currency",
        )
    if not isinstance(amount, int) or not isinstance(currency, str):
        return
    if amount < 1:
        raise InvalidRequest(
            f"This value must be greater than or equal to 1 (amount is {amount}): give the "
            "amount in the currency's smallest unit, such as 1000 for $10.00.",
            param="amount",
            code="parameter_invalid_integer",
        )
    least = minimum(currency.lower())
    if amount < least:
        shown = (
            f"{least} {currency}"
            if currency.lower() in ZERO_DECIMAL
            else (f"{least / 100:.2f} {currency}")
        )
        raise InvalidRequest(
            f"Amount must be at least {shown} (it is {amount} in the smallest unit). Charge "
            "at least Stripe's minimum for the currency.",
            param="amount",
            code="amount_too_small",
        )
