"""Every operation of Stripe's API, run generically by its kind (spec.Operation.kind).

``create`` builds a new object from its schema (build.py) and emits ``<type>.created``;
``update`` applies the parameters and emits ``<type>.updated`` with the changed fields in
``previous_attributes``; ``delete`` keeps the deleted stub and emits ``<type>.deleted``;
``retrieve``, ``list`` and ``search`` read; an ``action`` (``.../{id}/verb``) whose behaviour
no module models applies the parameters that name fields and answers the object. Events are
emitted only where Stripe's catalog has the type (a price update is ``price.updated``; there
is no ``payment_intent.updated``).

Behaviours (behaviours.py) replace the generic run of the operations whose objects have a
life of their own (confirming a payment intent charges it), by operation id. Objects that
live under another one (``/v1/customers/{customer}/sources``) are linked to it, and the
field naming the parent (``card.customer``) is set.

A new object names only objects the sandbox has: a field no parameter set takes the id an
object the parameters name gives in the same field (a credit note's customer is its
invoice's); where the schema says one must be named (a transfer's ``destination_payment``,
an issuing card's cardholder), one is made with it, as Stripe makes it. A create whose
path ends in a verb on an object of the type it answers (``.../{subscription}/resume``)
acts on that object.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ... import catalog
from .. import list_params
from ..resources import read_permission_resource
from ..stripe_errors import InvalidRequest, ResourceMissing, UnrecognizedUrl
from . import build, spec, store
from .build import Made
from .spec import Operation, Resource

if TYPE_CHECKING:
    from ..callers import Caller
    from ..service import Sandbox

__all__ = ["Behaviour", "Engine", "Request", "event_type_for"]

_LIST_CONTROLS = frozenset({"limit", "starting_after", "ending_before", "expand"})
_MADE_DEPTH = 2
"""How deep objects made along with a new one go: each may need others of its own."""
_RANGE_BOUNDS = frozenset({"gt", "gte", "lt", "lte"})
# Older spellings of a collection: the same objects, listed once.
_COLLECTION_ALIASES = {"cards": "sources", "bank_accounts": "sources", "people": "persons"}
_ACCOUNT_COLLECTION_ALIASES = {"bank_accounts": "external_accounts"}


@dataclass(frozen=True, slots=True)
class Request:
    """One API call, as the engine runs it."""

    op: Operation
    path: str
    """The concrete path (``/v1/customers/cus_1/sources``)."""
    path_params: dict[str, str]
    caller: Caller
    params: dict[str, Any]
    """Checked and typed (params.py)."""
    request_id: str
    idempotency_key: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def with_params(self, **params: Any) -> Request:
        """The same call with parameters a behaviour adds or replaces."""
        return dataclasses.replace(self, params={**self.params, **params})

    @property
    def object_id(self) -> str:
        """The id the path names last (``card_1`` of ``/v1/customers/cus_1/sources/card_1``)."""
        return self.path_params[_params_in_path_order(self.op)[-1]]

    @property
    def first_id(self) -> str:
        """The id the path names first (the parent's: ``cus_1``)."""
        return self.path_params[_params_in_path_order(self.op)[0]]


Behaviour = Callable[["Engine", Request], Any]


class Engine:
    def __init__(self, sandbox: Sandbox, behaviours: Mapping[str, Behaviour] | None = None):
        self.sandbox = sandbox
        self.behaviours = dict(behaviours or {})

    def run(self, request: Request) -> Any:
        behaviour = self.behaviours.get(request.op.id)
        if behaviour is not None:
            answer = behaviour(self, request)
            # A behaviour may change an object after emitting it: its answer is encoded
            # afresh, not taken from the last event's JSON (asgi's shortcut).
            self.sandbox.last_emitted = None
            return answer
        return self.generic(request)

    def generic(self, request: Request) -> Any:
        """The operation run by its kind alone (what a behaviour builds on)."""
        handler: Callable[[Request], Any] = getattr(self, f"_{request.op.kind}")
        return handler(request)

    # -- what behaviours use too -------------------------------------------------------------

    def call(
        self, request: Request, method: str, path: str, params: Mapping[str, Any] | None = None
    ) -> Any:
        """Another operation of the API run as a consequence of ``request`` (a subscription's
        first invoice, finalized then paid): the same caller and request id, its behaviour if
        it has one; ``params`` as the spec types them. Its errors are raised."""
        matched = spec.match(method, path)
        if matched is None:
            raise UnrecognizedUrl(method, path)
        op, path_params = matched
        inner = Request(op, path, path_params, request.caller, dict(params or {}),
                        request.request_id)  # fmt: skip
        return self.run(inner)

    def made(self, caller: Caller) -> Made:
        return Made(
            now=self.sandbox.now(),
            livemode=caller.livemode,
            new_id=lambda prefix: self.sandbox.ids.new(prefix, 14),
            new_secret=lambda prefix: self.sandbox.ids.secret(prefix, 25),
        )

    def new(self, resource: Resource, params: Mapping[str, Any], caller: Caller) -> dict[str, Any]:
        return build.new_object(resource, params, self.made(caller))

    def load(
        self,
        caller: Caller,
        object_id: str,
        resources: tuple[str, ...],
        *,
        deleted: bool = False,
    ) -> dict[str, Any]:
        """A stored object of one of ``resources`` (schema names), or Stripe's 404; a
        deleted one's stub only when ``deleted`` (a retrieve that answers stubs)."""
        body = store.find(self.sandbox.db, caller.account, object_id)
        if body is None or body.get("object") not in _objects_of(resources):
            raise ResourceMissing(_kind_name(resources[0]), object_id)
        if body.get("deleted") and not deleted:
            raise ResourceMissing(_kind_name(resources[0]), object_id)
        return body

    def record(
        self,
        caller: Caller,
        body: dict[str, Any],
        verb: str,
        request: Request,
        *,
        previous: dict[str, Any] | None = None,
        parent: str | None = None,
    ) -> None:
        """Store ``body`` and emit what Stripe emits for ``verb`` on it, if it has a type."""
        event_type = event_type_for(str(body.get("object")), verb, parent)
        if event_type is None:
            store.save(self.sandbox.db, caller.account, caller.livemode, body, self.sandbox.now())
            return
        self.sandbox.emit(
            caller.account,
            caller.livemode,
            event_type,
            body,
            previous_attributes=previous if verb == "updated" else None,
            request_id=request.request_id,
            idempotency_key=request.idempotency_key,
        )

    def require(self, caller: Caller, resource_name: str, *, write: bool) -> None:
        resource = spec.resource(resource_name)
        permission = read_permission_resource(resource.object if resource else resource_name)
        if permission is not None:
            caller.require(permission, write=write)

    # -- the generic kinds -------------------------------------------------------------------

    def _create(self, request: Request) -> Any:
        if self._acts_on_its_object(request):
            return self._action(request)
        resource = _concrete(request.op.answers, request.params)
        if resource is None:
            return self._answer_without_state(request)
        caller = request.caller
        collection, parent = self._collection(request)
        self.require(caller, resource.name, write=True)
        body = self.new(resource, request.params, caller)
        if parent is not None:
            _link_parent(body, resource, *parent)
        self._embed_named(caller, body, resource, request.params)
        named = self._named_objects(caller, body, resource, request.params)
        with self.sandbox.transaction() as db:
            for other in named:
                self.record(caller, other, "created", request)
            self.record(caller, body, "created", request, parent=parent[0] if parent else None)
            for each in {collection, _home_collection(resource, request.path_params)}:
                if each is not None:
                    store.add_child(db, caller.account, each, body["id"])
        return body

    def _named_objects(
        self,
        caller: Caller,
        body: dict[str, Any],
        resource: Resource,
        params: Mapping[str, Any],
        depth: int = 0,
    ) -> list[dict[str, Any]]:
        """Fill the fields of a new object that name another and that no parameter set:
        with what an object the parameters name gives in the same field (a credit note's
        invoice's customer, a refund's charge's payment intent); else, where one must be
        named (a transfer's ``destination_payment``) or held whole (an issuing card's
        cardholder), with an object made with it, as Stripe makes one. Returns the objects
        made, to store."""
        node = spec.schema(resource.name)
        made: list[dict[str, Any]] = []
        for name, member in node.get("p", {}).items():
            value = body.get(name)
            if isinstance(value, dict) and value.get("id") == "" and "ref" in member:
                other = self._made_with(caller, (member["ref"],), depth, made)
                if other is not None:
                    body[name] = other
            elif name in body and value in ("", None) and _names_an_object(node, name):
                named = self._inherited(caller, params, node, name)
                if named is None and value == "":  # one it must name: made with it
                    other = self._made_with(caller, _refs(member), depth, made)
                    named = None if other is None else str(other["id"])
                if named is not None:
                    body[name] = named
        return made

    def _made_with(
        self, caller: Caller, names: tuple[str, ...], depth: int, made: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        """A new object of the first of ``names`` that is a resource (and those it names),
        added to ``made``; None past the depth objects are made to."""
        kinds = _resources_of(names)
        if not kinds or depth >= _MADE_DEPTH:
            return None
        other = self.new(kinds[0], {}, caller)
        made.extend(self._named_objects(caller, other, kinds[0], {}, depth + 1))
        made.append(other)
        return other

    def _embed_named(
        self, caller: Caller, body: dict[str, Any], resource: Resource, params: Mapping[str, Any]
    ) -> None:
        """A parameter that names, by id, an object the field holds whole (a subscription
        item's ``price``): the field is that stored object."""
        properties = spec.schema(resource.name).get("p", {})
        for name, value in params.items():
            member = properties.get(name)
            if member is None or "ref" not in member or not isinstance(value, str):
                continue
            given = store.find(self.sandbox.db, caller.account, value)
            if given is not None and given.get("object") in _objects_of((member["ref"],)):
                body[name] = given

    def _inherited(
        self, caller: Caller, params: Mapping[str, Any], node: spec.Node, name: str
    ) -> str | None:
        """The id that an object named by a parameter gives in its field ``name``."""
        for key, value in params.items():
            if not _names_an_object(node, key) or not isinstance(value, str) or not value:
                continue
            given = store.find(self.sandbox.db, caller.account, value)
            member = given.get(name) if given is not None else None
            if isinstance(member, dict):
                member = member.get("id")
            if isinstance(member, str) and member:
                return member
        return None

    def _acts_on_its_object(self, request: Request) -> bool:
        """Whether a create is a verb on the object its path names last, of the type it
        answers (``/v1/subscriptions/{subscription}/resume``), not a new one under it."""
        segments = request.op.segments
        if len(segments) < 2 or segments[-1].startswith("{") or not segments[-2].startswith("{"):
            return False
        named = store.find(self.sandbox.db, request.caller.account, request.object_id)
        return named is not None and named.get("object") in _objects_of(request.op.answers)

    def _retrieve(self, request: Request) -> Any:
        caller = request.caller
        if not request.op.path.endswith("}"):
            return self._singleton(request)
        names = request.op.answers
        self.require(caller, names[0], write=False)
        return self.load(caller, request.object_id, names, deleted=request.op.answers_deleted)

    def _update(self, request: Request) -> Any:
        caller = request.caller
        if not request.op.path.endswith("}"):
            return self._singleton(request)
        names = request.op.answers
        self.require(caller, names[0], write=True)
        body = self.load(caller, request.object_id, names)
        return self.change(request, body)

    def change(self, request: Request, body: dict[str, Any]) -> dict[str, Any]:
        """Apply the request's parameters to ``body``; store it and emit ``.updated``."""
        schema_name = _schema_of(body)
        previous = build.apply(body, spec.schema(schema_name), request.params)
        if previous:
            with self.sandbox.transaction():
                self.record(request.caller, body, "updated", request, previous=previous)
        return body

    def _delete(self, request: Request) -> Any:
        caller = request.caller
        names = request.op.answers or (request.op.path.strip("/").split("/")[-2],)
        live_names = tuple(n.removeprefix("deleted_") for n in names)
        self.require(caller, live_names[0], write=True)
        if not request.op.path.endswith("}"):  # DELETE /v1/customers/{customer}/discount
            current = self._child(request, request.path, live_names)
        else:
            current = self.load(caller, request.object_id, live_names)
        stub = _deleted_stub(current)
        collection = request.path.rsplit("/", 1)[0] if request.op.path.endswith("}") else None
        with self.sandbox.transaction() as db:
            self.record(caller, current, "deleted", request)
            store.save(db, caller.account, caller.livemode, stub, self.sandbox.now())
            for each in (collection, request.path):
                if each is not None:
                    store.remove_child(db, caller.account, _normal(each), current["id"])
        return stub

    def _action(self, request: Request) -> Any:
        caller = request.caller
        names = request.op.answers
        self.require(caller, names[0], write=True)
        target = store.find(self.sandbox.db, caller.account, request.object_id)
        wanted = _objects_of(names)
        if target is not None and target.get("object") not in wanted:
            # POST /v1/charges/{charge}/dispute/close acts on the charge's dispute
            target = self._child(request, request.path.rsplit("/", 1)[0], names)
        if target is None or target.get("deleted"):
            raise ResourceMissing(_kind_name(names[0]), request.object_id)
        if request.op.method == "DELETE":
            return self._cancel(request, target)
        return self.change(request, target)

    def _cancel(self, request: Request, body: dict[str, Any]) -> dict[str, Any]:
        """DELETE of an object that stays (a subscription): it ends, as Stripe's do."""
        now = self.sandbox.now()
        properties = spec.schema(_schema_of(body)).get("p", {})
        statuses = spec.resolve(properties.get("status", {})).get("e", ())
        changes: dict[str, Any] = {"status": "canceled"} if "canceled" in statuses else {}
        changes.update({name: now for name in ("canceled_at", "ended_at") if name in properties})
        body.update(changes)
        with self.sandbox.transaction():
            self.record(request.caller, body, "deleted", request)
        return body

    def _list(self, request: Request) -> Any:
        caller = request.caller
        names = request.op.answers
        if names:
            self.require(caller, names[0], write=False)
        types = _objects_of(names)
        if len(request.op.path_params) > 0:
            self._parent_of(request, request.path)
            rows = store.children(self.sandbox.db, caller.account, _normal(request.path))
            rows = [row for row in rows if row.get("object") in types]
        else:
            rows = store.list_of(self.sandbox.db, caller.account, caller.livemode, types)
        rows = [row for row in rows if _matches_filters(row, request.params)]
        return list_params.page(rows, request.params, request.path)

    def _search(self, request: Request) -> Any:
        from . import search  # the query language is needed by seven operations only

        caller = request.caller
        resource = spec.resource(request.op.answers[0])
        if resource is None:
            raise InvalidRequest(f"{request.path} cannot be searched")
        self.require(caller, resource.name, write=False)
        query = search.parse(resource.object, str(request.params.get("query", "")))
        rows = store.list_of(self.sandbox.db, caller.account, caller.livemode, [resource.object])
        return search.search_page(rows, request.params, request.path, query)

    # -- helpers -----------------------------------------------------------------------------

    def _singleton(self, request: Request) -> Any:
        """An object without an id of its own (``/v1/balance``), made on first use; or the
        one object of its kind under a parent (``/v1/customers/{customer}/discount``)."""
        caller = request.caller
        name = request.op.answers[0]
        if spec.resource(name) is not None:
            body = self._child(request, request.path, request.op.answers)
            return self.change(request, body) if request.op.method == "POST" else body
        if request.op.path_params:
            self._parent_of(request, request.path + "/x")
        key = store.singleton_id(request.path)
        body = store.find(self.sandbox.db, caller.account, key) or build.new_value(
            name, self.made(caller)
        )
        if request.op.method == "POST":
            build.apply(body, spec.schema(name), request.params)
            with self.sandbox.transaction() as db:
                store.save(db, caller.account, caller.livemode, {**body, "id": key}, 0)
        return {k: v for k, v in body.items() if k != "id" or not str(v).startswith("singleton:")}

    def _child(self, request: Request, collection: str, names: tuple[str, ...]) -> dict[str, Any]:
        self._parent_of(request, collection + "/x")
        rows = store.children(self.sandbox.db, request.caller.account, _normal(collection))
        wanted = _objects_of(names)
        found = [row for row in rows if row.get("object") in wanted]
        if not found:
            raise ResourceMissing(_kind_name(names[0]), request.first_id)
        return found[0]

    def _collection(self, request: Request) -> tuple[str | None, tuple[str, str] | None]:
        """Where a created object is listed (when under a parent), and that parent's
        (schema name, id)."""
        if not request.op.path_params:
            return None, None
        parent = self._parent_of(request, request.path + "/x")
        return _normal(request.path), parent

    def _parent_of(self, request: Request, child_path: str) -> tuple[str, str] | None:
        """The object a nested path hangs under (``/v1/customers/cus_1/sources/x`` -> the
        customer), which must exist: Stripe's 404 names it."""
        segments = child_path.strip("/").split("/")
        if len(segments) < 4:
            return None
        collection, parent_id = segments[-4], segments[-3]
        if segments[1] == "test_helpers":
            segments = [segments[0], *segments[2:]]
        candidates = _resources_at(collection)
        if not candidates:
            return None
        body = store.find(self.sandbox.db, request.caller.account, parent_id)
        wanted = {spec.resources()[name].object for name in candidates}
        if body is None or body.get("object") not in wanted or body.get("deleted"):
            raise ResourceMissing(_kind_name(candidates[0]), parent_id)
        return candidates[0], parent_id

    def _preview(self, request: Request) -> Any:
        """What an object would be (an upcoming invoice), made and never kept: a list
        answer is empty, an object answer is new with the fields its parameters name."""
        if request.op.method == "GET" and request.path.endswith("/lines"):
            return {"object": "list", "data": [], "has_more": False, "url": request.path}
        resource = _concrete(request.op.answers, request.params)
        if resource is None:
            return self._answer_without_state(request)
        self.require(request.caller, resource.name, write=False)
        preview = self.new(resource, request.params, request.caller)
        if "id" not in spec.schema(resource.name).get("r", ()):
            del preview["id"]  # no object has it: a preview has no id of its own
        return preview

    def _answer_without_state(self, request: Request) -> Any:
        """An operation answering no resource of its own (a preview, a token without id),
        with the fields its parameters name (a customer session's ``customer``)."""
        node = request.op.answer or {"ref": request.op.answers[0]}
        value = build.value_of_node(node, self.made(request.caller))
        if isinstance(value, dict):
            build.apply(value, node, request.params)
        return value


def _names_an_object(node: spec.Node, name: str) -> bool:
    """Whether a field holds another object's id: an expandable one, or a plain string
    named as a resource is (a credit reversal's ``financial_account``)."""
    return name in node.get("x", ()) or name in _resource_short_names()


@functools.cache
def _resource_short_names() -> frozenset[str]:
    return frozenset(name.rsplit(".", 1)[-1] for name in spec.resources())


def _refs(node: spec.Node) -> tuple[str, ...]:
    """The schemas a field may be an object of."""
    return tuple(branch["ref"] for branch in node.get("any", [node]) if "ref" in branch)


def _params_in_path_order(op: Operation) -> list[str]:
    """The path's parameters as the path gives them (``Operation.path_params`` is sorted)."""
    return [segment[1:-1] for segment in op.segments if segment.startswith("{")]


@functools.cache
def _resources_of(names: tuple[str, ...]) -> tuple[Resource, ...]:
    """The resources an operation answers: a polymorphic answer's branches (a payment
    source is a card, a bank account or a source; an account is never one)."""
    concrete: list[Resource] = []
    for name in names:
        found = spec.resource(name)
        if found is not None:
            concrete.append(found)
            continue
        for branch in spec.schema(name).get("any", ()):
            each = spec.resource(branch.get("ref", ""))
            if each is not None and each.name != "account":
                concrete.append(each)
    return tuple(concrete)


def _objects_of(names: tuple[str, ...]) -> set[str]:
    """The ``object`` values of what an operation answers."""
    return {resource.object for resource in _resources_of(names)}


def _concrete(names: tuple[str, ...], params: Mapping[str, Any]) -> Resource | None:
    """The resource a create makes: for polymorphic answers, the one its parameters name."""
    concrete = _resources_of(names)
    if not concrete:
        return None
    given = params.get("source", params.get("external_account", params.get("card")))
    if isinstance(given, dict):
        wanted = str(given.get("object", "card"))
    elif isinstance(given, str):
        wanted = "bank_account" if given.startswith(("btok_", "ba_")) else "card"
        if given.startswith("src_"):
            wanted = "source"
    else:
        wanted = concrete[0].name
    return next((r for r in concrete if r.name == wanted), concrete[0])


@functools.cache
def _resources_at(collection: str) -> tuple[str, ...]:
    """The resources a collection segment holds (``customers`` -> customer)."""
    found = []
    for resource in spec.resources().values():
        if resource.path is not None and resource.path.rsplit("/", 2)[-2] == collection:
            found.append(resource.name)
    return tuple(sorted(found, key=lambda name: name.count(".")))


def _home_collection(resource: Resource, path_params: Mapping[str, str]) -> str | None:
    """Where a resource nested under a parent is listed, when a create elsewhere made one
    (``/v1/test_helpers/customers/{customer}/fund_cash_balance`` makes a transaction of
    ``/v1/customers/{customer}/cash_balance_transactions``): None unless the create's path
    names that parent."""
    if resource.path is None:
        return None
    segments = resource.path.strip("/").split("/")[:-1]
    names = [segment[1:-1] for segment in segments if segment.startswith("{")]
    if not names or any(name not in path_params for name in names):
        return None
    filled = [path_params[s[1:-1]] if s.startswith("{") else s for s in segments]
    return _normal("/" + "/".join(filled))


def _normal(collection: str) -> str:
    """A collection's one name (``/v1/customers/cus_1/cards`` lists its ``sources``)."""
    head, _, last = collection.rpartition("/")
    aliases = _ACCOUNT_COLLECTION_ALIASES if head.startswith("/v1/accounts/") else {}
    last = aliases.get(last) or _COLLECTION_ALIASES.get(last, last)
    if head.startswith("/v1/accounts/") and last == "sources":
        last = "external_accounts"
    return f"{head}/{last}"


def _link_parent(
    body: dict[str, Any], resource: Resource, parent_name: str, parent_id: str
) -> None:
    """Set the field that names the parent (a card's ``customer``, a reversal's
    ``transfer``): the expandable field whose schema is the parent's."""
    properties = spec.schema(resource.name).get("p", {})
    short = parent_name.split(".")[-1]
    for name in (short, *properties):
        node = properties.get(name)
        if node is None or name not in body:
            continue
        refs = {branch.get("ref") for branch in node.get("any", ())}
        if name == short or parent_name in refs:
            if body.get(name) in (None, ""):
                body[name] = parent_id
            return


def _schema_of(body: Mapping[str, Any]) -> str:
    resource = spec.resource_of_object(str(body.get("object")))
    if resource is None:
        raise InvalidRequest(f"objects of type {body.get('object')!r} cannot be changed")
    return resource.name


def _deleted_stub(body: Mapping[str, Any]) -> dict[str, Any]:
    resource = spec.resource_of_object(str(body.get("object")))
    stub: dict[str, Any] = {"id": body["id"], "object": body["object"], "deleted": True}
    if resource is not None and resource.deleted is not None:
        node = spec.schema(resource.deleted)
        for name in node.get("p", {}):
            if name not in stub and name in body:
                stub[name] = body[name]
    return stub


def _kind_name(schema_name: str) -> str:
    """How Stripe's 404 names a resource: ``No such payment_intent`` reads as theirs do."""
    return schema_name.removeprefix("deleted_").split(".")[-1]


def _matches_filters(row: Mapping[str, Any], params: Mapping[str, Any]) -> bool:
    """Stripe's list filters: a parameter naming a field keeps the objects whose field
    equals it (an expanded object by its id), or lies in a range ``{gt, gte, lt, lte}``."""
    for name, wanted in params.items():
        if name in _LIST_CONTROLS or name not in row:
            continue
        value = row[name]
        if isinstance(value, dict) and "id" in value:
            value = value["id"]
        if isinstance(wanted, dict) and wanted.keys() <= _RANGE_BOUNDS:
            if not isinstance(value, int | float) or not _in_range(value, wanted):
                return False
        elif not _holds(value, wanted):
            return False
    return True


def _holds(value: Any, wanted: Any) -> bool:
    """Whether a field's value is what a filter asks: equal, or for a filter that is a
    hash (``scope[type]=account``), an object with those values."""
    if isinstance(wanted, dict):
        return isinstance(value, dict) and all(
            _holds(value.get(key), each) for key, each in wanted.items()
        )
    return bool(value == wanted)


def _in_range(value: float, bounds: Mapping[str, Any]) -> bool:
    return (
        ("gt" not in bounds or value > bounds["gt"])
        and ("gte" not in bounds or value >= bounds["gte"])
        and ("lt" not in bounds or value < bounds["lt"])
        and ("lte" not in bounds or value <= bounds["lte"])
    )


@functools.cache
def _events_by_object() -> dict[tuple[str, str], tuple[str, ...]]:
    found: dict[tuple[str, str], list[str]] = {}
    for event_type in catalog.event_types("*"):
        verb = event_type.rsplit(".", 1)[-1]
        found.setdefault((catalog.object_type_for(event_type), verb), []).append(event_type)
    return {key: tuple(types) for key, types in found.items()}


def event_type_for(object_type: str, verb: str, parent: str | None = None) -> str | None:
    """The event Stripe emits when an ``object_type`` object is ``verb`` (created, updated,
    deleted), if its catalog has one; under a parent, the parent's (an account's card is an
    ``account.external_account``, a customer's a ``customer.source``)."""
    if object_type in ("card", "bank_account"):
        if parent is None:  # a token's card, a charge's: no event of its own
            return None
        family = "account.external_account" if parent == "account" else "customer.source"
        wanted = f"{family}.{verb}"
        return wanted if catalog.is_known_event_type(wanted) else None
    candidates = _events_by_object().get((object_type, verb), ())
    return candidates[0] if candidates else None
