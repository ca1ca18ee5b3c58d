"""Stripe's search query language, for the seven ``GET /v1/<resources>/search`` operations.

:func:`parse` checks a query as Stripe does (the resource's searchable fields, the operators
each field's type allows, at most 10 clauses, AND or OR but not both) and answers a
:class:`Query` that tests stored objects; :func:`search_page` pages the matching objects into
Stripe's ``search_result``. Pure: the caller brings the objects, newest first.

The language (docs.stripe.com/search#search-query-language): ``field:value`` (exact, case
insensitive), ``field~"sub"`` (substring, string fields, at least 3 characters),
``field>v`` / ``>=`` / ``<`` / ``<=`` (numeric fields), ``metadata["key"]:"value"``,
``field:null`` (no value), ``-clause`` (negation); text values quoted with ``"`` or ``'``
(``\\`` escapes a quote); clauses joined by spaces or ``AND`` (all must hold) or by ``OR``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Literal, TypeGuard

from ..formdata import shown
from ..list_params import limit
from ..stripe_errors import InvalidRequest

__all__ = ["MAX_CLAUSES", "SEARCH_FIELDS", "Clause", "Query", "parse", "search_page"]

FieldType = Literal["string", "token", "numeric"]
"""Stripe's field types: a *string* also matches substrings, a *numeric* also compares
(``>``, ``<``...), a *token* only matches exactly."""

MAX_CLAUSES = 10
MIN_SUBSTRING = 3

_CARD = "payment_method_details.card"

# The "Query fields" tables of docs.stripe.com/search#query-fields, one per searchable
# resource, with each field's type as the docs give it.
_FIELD_TYPES: dict[str, dict[str, FieldType]] = {
    "charge": {
        "amount": "numeric",
        "billing_details.address.postal_code": "token",
        "created": "numeric",
        "currency": "token",
        "customer": "token",
        "disputed": "token",
        "metadata": "token",
        f"{_CARD}.brand": "token",
        f"{_CARD}.exp_month": "numeric",
        f"{_CARD}.exp_year": "numeric",
        f"{_CARD}.fingerprint": "token",
        f"{_CARD}.last4": "token",
        "refunded": "token",
        "status": "token",
    },
    "customer": {
        "created": "numeric",
        "email": "string",
        "metadata": "token",
        "name": "string",
        "phone": "string",
    },
    "invoice": {
        "created": "numeric",
        "currency": "token",
        "customer": "token",
        "last_finalization_error_code": "token",
        "last_finalization_error_type": "token",
        "metadata": "token",
        "number": "string",
        "receipt_number": "string",
        "status": "token",
        "subscription": "token",
        "total": "numeric",
    },
    "payment_intent": {
        "amount": "numeric",
        "created": "numeric",
        "currency": "token",
        "customer": "token",
        "metadata": "token",
        "status": "token",
    },
    "price": {
        "active": "token",
        "currency": "token",
        "lookup_key": "string",
        "metadata": "token",
        "product": "token",
        "type": "token",
    },
    "product": {
        "active": "token",
        "description": "string",
        "metadata": "token",
        "name": "string",
        "shippable": "token",
        "url": "string",
    },
    "subscription": {
        "created": "numeric",
        "metadata": "token",
        "status": "token",
    },
}

SEARCH_FIELDS: dict[str, frozenset[str]] = {
    object_type: frozenset(types) for object_type, types in _FIELD_TYPES.items()
}
"""The searchable fields of each searchable object type (``customer``, ``payment_intent``...);
``metadata`` stands for every ``metadata["key"]``."""

_DOUBLE_QUOTED = r'"(?:\\.|[^\\"])*"'
_SINGLE_QUOTED = r"'(?:\\.|[^\\'])*'"
_QUOTED = f"{_DOUBLE_QUOTED}|{_SINGLE_QUOTED}"
_CLAUSE = re.compile(
    rf"""(?P<negated>-)?
    (?:metadata\[(?P<key>{_QUOTED})\]|(?P<field>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*))
    (?P<operator>>=|<=|[:~<>])
    (?:(?P<quoted>{_QUOTED})|(?P<bare>[^\s"'\\]+))""",
    re.VERBOSE | re.DOTALL,
)
_CONNECTOR = re.compile(r"\s+(?:(AND|OR)\s+)?", re.IGNORECASE)
"""Between two clauses: spaces (meaning AND), or AND or OR (in any case, as Stripe takes them)
with spaces around."""
_BARE_WORD = re.compile(r"-?[0-9]+(?:\.[0-9]+)?|true|false|null", re.IGNORECASE)
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,18}")
_COMPARATORS = (">", ">=", "<", "<=")
_LANGUAGE_URL = "https://stripe.com/docs/search#search-query-language"
_FORMAT_HINT = (
    "Try using the format metadata['key']:'value' to query for metadata or key:'value' to "
    "query for other fields"
)

Value = str | int | None
"""A clause's value: text, a whole number (numeric fields) or None (``null``: no value)."""


@dataclass(frozen=True, slots=True)
class Clause:
    """One ``[-]field<operator>value`` of a query."""

    field: str
    """A searchable field (dotted for nested ones), or ``metadata`` with :attr:`key`."""
    key: str | None
    operator: str
    value: Value
    negated: bool
    type: FieldType

    def matches(self, obj: dict[str, Any]) -> bool:
        return self._holds(_stored_value(obj, self.field, self.key)) != self.negated

    def _holds(self, stored: Any) -> bool:
        if self.value is None:
            return stored is None
        if isinstance(self.value, int):
            return _is_number(stored) and _compare(stored, self.operator, self.value)
        text = _as_text(stored)
        if text is None:
            return False
        if self.operator == "~":
            return self.value.casefold() in text.casefold()
        return self.value.casefold() == text.casefold()


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed search query: its clauses, all of which must hold, or any (``OR``)."""

    object_type: str
    text: str
    clauses: tuple[Clause, ...]
    any_of: bool

    def matches(self, obj: dict[str, Any]) -> bool:
        results = (clause.matches(obj) for clause in self.clauses)
        return any(results) if self.any_of else all(results)


def parse(object_type: str, query: str) -> Query:
    """Parse ``query`` for a search of ``object_type`` objects (``customer``, ``charge``...).

    Raises ``InvalidRequest`` (param ``query``) quoting what is wrong and what is accepted.
    """
    types = _FIELD_TYPES[object_type]
    text = query.strip()
    if not text:
        raise _invalid(
            f"The search query is empty. Pass one like email:'amy@example.com' or amount>1000; "
            f"see {_LANGUAGE_URL}"
        )
    clauses: list[Clause] = []
    connectors: set[str] = set()
    position = 0
    while True:
        clause, position = _clause(object_type, types, text, position)
        clauses.append(clause)
        if position == len(text):
            break
        connector = _CONNECTOR.match(text, position)
        if connector is None:
            raise _unparsable(text, position)
        connectors.add((connector.group(1) or "AND").upper())
        position = connector.end()
    _check_shape(text, clauses, connectors)
    return Query(object_type, text, tuple(clauses), any_of=connectors == {"OR"})


def _check_shape(text: str, clauses: list[Clause], connectors: set[str]) -> None:
    if len(connectors) > 1:
        raise _invalid(
            f"The search query {shown(text, 200)} combines clauses with both AND and OR, "
            "which search does not support: use only AND (or spaces) or only OR"
        )
    if len(clauses) > MAX_CLAUSES:
        raise _invalid(
            f"The search query {shown(text, 200)} has {len(clauses)} clauses; a search "
            f"query may have at most {MAX_CLAUSES}"
        )


def _clause(
    object_type: str, types: dict[str, FieldType], text: str, position: int
) -> tuple[Clause, int]:
    found = _CLAUSE.match(text, position)
    if found is None:
        raise _unparsable(text, position)
    source = found.group(0)
    key = found.group("key")
    field = "metadata" if key is not None else found.group("field")
    if field not in types:
        raise _unsupported_field(object_type, field)
    if field == "metadata" and key is None:
        raise _invalid(
            f"Invalid clause {shown(source, 200)}: search metadata by key, as "
            "metadata['key']:'value' (or metadata['key']:null for objects without the key)"
        )
    operator = found.group("operator")
    field_type = types[field]
    value = _value(source, field, field_type, found.group("quoted"), found.group("bare"))
    _check_operator(object_type, source, field, field_type, operator, value)
    clause = Clause(
        field=field,
        key=None if key is None else _unquote(key),
        operator=operator,
        value=value,
        negated=found.group("negated") is not None,
        type=field_type,
    )
    return clause, found.end()


def _value(
    source: str, field: str, field_type: FieldType, quoted: str | None, bare: str | None
) -> Value:
    if bare is not None:
        if _BARE_WORD.fullmatch(bare) is None:
            raise _invalid(
                f"Invalid value {shown(bare, 100)} in {shown(source, 200)}: quote text values "
                "with \" or ' (name:'Jenny Rosen'); only numbers, true, false and null may be "
                "left unquoted"
            )
        if bare.lower() == "null":
            return None
    text = _unquote(quoted) if quoted is not None else str(bare)
    if field_type != "numeric":
        return text
    if _WHOLE_NUMBER.fullmatch(text) is None:
        raise _invalid(
            f"Invalid value {shown(text, 100)} in {shown(source, 200)}: {field} is a numeric "
            f"field, it takes a whole number ({field}>1000; created takes a Unix timestamp)"
        )
    return int(text)


def _check_operator(
    object_type: str,
    source: str,
    field: str,
    field_type: FieldType,
    operator: str,
    value: Value,
) -> None:
    if value is None and operator != ":":
        raise _invalid(
            f"Invalid clause {shown(source, 200)}: null takes the ':' operator only "
            f"({field}:null for no value, -{field}:null for any value)"
        )
    if operator == "~":
        _check_substring(object_type, source, field, field_type, value)
    if operator in _COMPARATORS and field_type != "numeric":
        raise _invalid(
            f"Invalid clause {shown(source, 200)}: {field} is not a numeric field, so it "
            f"takes no {operator} comparison; {_fields_that_do(object_type, 'numeric')}"
        )


def _check_substring(
    object_type: str, source: str, field: str, field_type: FieldType, value: Value
) -> None:
    if field_type != "string":
        raise _invalid(
            f"Invalid clause {shown(source, 200)}: {field} is not a string field, so it "
            f"takes no substring search (~); {_fields_that_do(object_type, 'string')}"
        )
    if len(str(value)) < MIN_SUBSTRING:
        raise _invalid(
            f"Invalid clause {shown(source, 200)}: a substring search (~) needs at least "
            f"{MIN_SUBSTRING} characters, got {shown(value)}"
        )


def _fields_that_do(object_type: str, field_type: FieldType) -> str:
    names = sorted(f for f, t in _FIELD_TYPES[object_type].items() if t == field_type)
    resource = _resource_name(object_type)
    if not names:
        return f"no field of {resource} does"
    return f"the fields of {resource} that do: {', '.join(names)}"


def _unquote(quoted: str) -> str:
    return re.sub(r"\\(.)", r"\1", quoted[1:-1], flags=re.DOTALL)


def _resource_name(object_type: str) -> str:
    return f"{object_type}s"


def _invalid(message: str) -> InvalidRequest:
    return InvalidRequest(message, param="query")


def _unsupported_field(object_type: str, field: str) -> InvalidRequest:
    resource = _resource_name(object_type)
    anchor = resource.replace("_", "-")
    return _invalid(
        f"Field '{field}' is an unsupported search field for resource {resource}. See "
        f"http://stripe.com/docs/search#query-fields-for-{anchor} for a list of supported "
        "fields."
    )


def _unparsable(text: str, position: int) -> InvalidRequest:
    return _invalid(
        f"We were unable to parse your search query at {shown(text[position:], 60)} "
        f"(character {position + 1}). {_FORMAT_HINT}, joining clauses with spaces, AND or OR; "
        f"see {_LANGUAGE_URL}"
    )


def _stored_value(obj: dict[str, Any], field: str, key: str | None) -> Any:
    """The object's value for a clause: nested fields walked, an expanded object as its id."""
    if key is not None:
        metadata = obj.get("metadata")
        return metadata.get(key) if isinstance(metadata, dict) else None
    value: Any = obj
    for part in field.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    if isinstance(value, dict):
        return value.get("id")
    return value


def _is_number(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _compare(stored: int, operator: str, value: int) -> bool:
    if operator == ">":
        return stored > value
    if operator == ">=":
        return stored >= value
    if operator == "<":
        return stored < value
    if operator == "<=":
        return stored <= value
    return stored == value


def _as_text(value: Any) -> str | None:
    """A stored value as the text a token or string clause compares (``disputed:'true'``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return str(value)
    return None


def search_page(
    rows: list[dict[str, Any]], params: dict[str, Any], url: str, query: Query
) -> dict[str, Any]:
    """Stripe's ``search_result`` of the rows (newest first) that match ``query``: ``limit``
    of them from the ``page`` token a previous answer gave as ``next_page``."""
    size = limit(params)
    matching = [row for row in rows if query.matches(row)]
    start = _page_start(params.get("page"), query, matching)
    data = matching[start : start + size]
    has_more = start + size < len(matching)
    result: dict[str, Any] = {
        "object": "search_result",
        "data": data,
        "has_more": has_more,
        "next_page": _page_token(query, data[-1]["id"], start + size) if has_more else None,
        "url": url,
    }
    if _expands_total_count(params.get("expand")):
        result["total_count"] = len(matching)
    return result


def _page_token(query: Query, after: str, offset: int) -> str:
    """Opaque to callers: the query it pages, the last object shown, and how many were shown
    (to carry on from when that object no longer matches). The query goes in as a digest so
    that a token stays within the 5000 characters the spec allows ``page`` whatever the query."""
    digest = hashlib.sha256(f"{query.object_type}\n{query.text}".encode()).hexdigest()[:16]
    payload = {"query": digest, "after": after, "offset": offset}
    encoded = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(encoded).decode().rstrip("=")


def _page_start(page: Any, query: Query, matching: list[dict[str, Any]]) -> int:
    if page is None:
        return 0
    after, offset = _read_page_token(page, query)
    ids = [row["id"] for row in matching]
    return ids.index(after) + 1 if after in ids else min(offset, len(matching))


def _read_page_token(page: Any, query: Query) -> tuple[str, int]:
    payload = _decoded(page) if isinstance(page, str) else None
    after = payload.get("after") if isinstance(payload, dict) else None
    offset = payload.get("offset") if isinstance(payload, dict) else None
    # A token is ours only if it is exactly what _page_token makes for this query.
    if (
        not isinstance(after, str)
        or not _is_number(offset)
        or _page_token(query, after, offset) != page
    ):
        raise InvalidRequest(
            f"Invalid page: {shown(page, 200)}: pass the next_page of a previous answer to this "
            "same search query, or no page for the first page",
            param="page",
        )
    return after, offset


def _decoded(token: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        return None


def _expands_total_count(expand: Any) -> bool:
    names = [expand] if isinstance(expand, str) else expand
    return isinstance(names, list) and "total_count" in names
