"""Routing: which endpoints get an event, and why the others did not (one table row per rule),
plus property tests of the Connect invariants over random small worlds."""

from __future__ import annotations

import dataclasses
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appevents import ConfigurationError
from appevents.catalog import is_known_event_type, permissions_for
from appevents.sandbox.routing import (
    App,
    EventToRoute,
    Installation,
    Route,
    Routing,
    WebhookEndpoint,
    Withheld,
    enabled_events_select,
    install_mode_allows,
    route_event,
)

MERCHANT = "acct_merchant"
DEVELOPER = "acct_dev"
PLATFORM = "acct_platform"
APP = "ca_app"
ALL_READ = frozenset({"event_read", "payment_intent_read", "customer_read", "charge_read"})


def event(type_="payment_intent.succeeded", account=MERCHANT, livemode=False, application=None):
    return EventToRoute("evt_1", type_, account, livemode, application)


def own(id_="we_own", account=MERCHANT, **changes):
    endpoint = WebhookEndpoint(id_, account, "https://merchant.example/hook", ("*",))
    return dataclasses.replace(endpoint, **changes)


def app_endpoint(id_="we_app", **changes):
    endpoint = WebhookEndpoint(
        id_, DEVELOPER, "https://dev.example/hook", ("*",), connect=True, application=APP
    )
    return dataclasses.replace(endpoint, **changes)


def platform_endpoint(id_="we_platform", **changes):
    endpoint = WebhookEndpoint(id_, PLATFORM, "https://platform.example/hook", ("*",), connect=True)
    return dataclasses.replace(endpoint, **changes)


def the_app(permissions=ALL_READ):
    return App(APP, DEVELOPER, frozenset(permissions))


def install(mode="test", active=True, account=MERCHANT):
    return Installation(account, APP, mode, active)


def route(evt, endpoints, *, installs=(), apps=None, connections=None):
    return route_event(
        evt,
        endpoints,
        installations=installs,
        apps=[the_app()] if apps is None else apps,
        connections=connections,
    )


def only_withheld(result: Routing) -> Withheld:
    assert result.routes == ()
    assert len(result.withheld) == 1
    return result.withheld[0]


# --- the account's own endpoints ---------------------------------------------------------------


def test_own_endpoint_of_the_same_mode_gets_the_event():
    assert route(event(), [own()]) == Routing((Route("we_own", "own"),), ())


def test_own_live_endpoint_gets_live_events_only():
    assert route(event(livemode=True), [own(livemode=True)]).routes == (Route("we_own", "own"),)
    withheld = only_withheld(route(event(livemode=True), [own(livemode=False)]))
    assert withheld == Withheld(
        "we_own",
        "livemode_mismatch",
        "endpoint we_own is a test-mode endpoint; it does not receive live events",
    )
    assert only_withheld(route(event(), [own(livemode=True)])).reason_code == "livemode_mismatch"


def test_disabled_own_endpoint_is_withheld():
    withheld = only_withheld(route(event(), [own(status="disabled")]))
    assert withheld == Withheld("we_own", "endpoint_disabled", "endpoint we_own is disabled")


@pytest.mark.parametrize(
    ("enabled_events", "selected"),
    [
        (("*",), True),
        (("payment_intent.succeeded",), True),
        (("payment_intent.*",), True),
        (("customer.created", "payment_intent.succeeded"), True),
        (("payment_intent.created",), False),
        (("customer.*",), False),
        (("payment.*",), False),
        (("payment_intent",), False),
    ],
)
def test_enabled_events_select_exact_types_star_and_prefix_star(enabled_events, selected):
    assert enabled_events_select(enabled_events, "payment_intent.succeeded") is selected


def test_prefix_star_also_selects_deeper_types():
    assert enabled_events_select(("charge.*",), "charge.dispute.created")


def test_own_endpoint_that_does_not_select_the_type_is_withheld_with_its_filter():
    withheld = only_withheld(route(event(), [own(enabled_events=("customer.*", "charge.*"))]))
    assert withheld == Withheld(
        "we_own",
        "event_not_selected",
        "endpoint we_own does not select payment_intent.succeeded "
        "(enabled_events: customer.*, charge.*)",
    )


def test_other_accounts_own_endpoints_are_noise_not_withheld():
    assert route(event(), [own("we_other", account="acct_other")]) == Routing((), ())


def test_own_endpoints_get_events_without_any_app_or_permission():
    assert route(event("sigma.scheduled_query_run.created"), [own()], apps=[]).routes == (
        Route("we_own", "own"),
    )
    assert route(event("made_up.event"), [own()], apps=[]).routes == (Route("we_own", "own"),)


# --- app Connect endpoints -----------------------------------------------------------------------


def test_app_connect_endpoint_gets_events_of_accounts_that_installed_the_app():
    result = route(event(), [app_endpoint()], installs=[install()])
    assert result == Routing((Route("we_app", "connect"),), ())


def test_app_not_installed_on_the_account_is_withheld():
    withheld = only_withheld(route(event(), [app_endpoint()], installs=[]))
    assert withheld == Withheld(
        "we_app", "not_installed", "app ca_app is not installed on acct_merchant"
    )


def test_app_installed_on_another_account_only_is_withheld():
    installs = [install(account="acct_elsewhere")]
    assert only_withheld(route(event(), [app_endpoint()], installs=installs)).message == (
        "app ca_app is not installed on acct_merchant"
    )


def test_uninstalled_app_is_withheld_and_says_so():
    withheld = only_withheld(route(event(), [app_endpoint()], installs=[install(active=False)]))
    assert withheld.message == "app ca_app was uninstalled from acct_merchant"


@pytest.mark.parametrize(
    ("granted", "message"),
    [
        (
            {"customer_read"},
            "app ca_app lacks permission for payment_intent.succeeded: "
            "grant one of payment_intent_read, checkout_session_read (and event_read)",
        ),
        (
            {"event_read", "customer_read"},
            "app ca_app lacks permission for payment_intent.succeeded: "
            "grant one of payment_intent_read, checkout_session_read",
        ),
        (
            {"payment_intent_read"},
            "app ca_app lacks permission for payment_intent.succeeded: grant event_read",
        ),
        (
            set(),
            "app ca_app lacks permission for payment_intent.succeeded: "
            "grant one of payment_intent_read, checkout_session_read (and event_read)",
        ),
    ],
)
def test_missing_permission_is_withheld_with_what_to_grant(granted, message):
    result = route(event(), [app_endpoint()], installs=[install()], apps=[the_app(granted)])
    assert only_withheld(result) == Withheld("we_app", "missing_permission", message)


@pytest.mark.parametrize(
    "granted", [{"event_read", "payment_intent_read"}, {"event_read", "checkout_session_read"}]
)
def test_event_read_plus_any_one_of_the_event_permissions_is_enough(granted):
    result = route(event(), [app_endpoint()], installs=[install()], apps=[the_app(granted)])
    assert result.routes == (Route("we_app", "connect"),)


def test_event_type_without_any_known_permission_is_withheld_from_apps():
    result = route(
        event("sigma.scheduled_query_run.created"), [app_endpoint()], installs=[install()]
    )
    withheld = only_withheld(result)
    assert withheld.reason_code == "no_known_permission"
    assert "Stripe's event permissions table lists none" in withheld.message


def test_unknown_event_type_is_withheld_from_apps():
    withheld = only_withheld(route(event("made_up.event"), [app_endpoint()], installs=[install()]))
    assert withheld.reason_code == "no_known_permission"
    assert "made_up.event is not a known event type" in withheld.message


def test_disabled_app_endpoint_is_withheld():
    result = route(event(), [app_endpoint(status="disabled")], installs=[install()])
    assert only_withheld(result).reason_code == "endpoint_disabled"


def test_app_endpoint_that_does_not_select_the_type_is_withheld():
    endpoint = app_endpoint(enabled_events=("customer.*",))
    withheld = only_withheld(route(event(), [endpoint], installs=[install()]))
    assert withheld.message == (
        "endpoint we_app does not select payment_intent.succeeded (enabled_events: customer.*)"
    )


# install mode x event mode x endpoint mode: Stripe facts §6.1 (sandbox simplified to test->test)
INSTALL_MODE_TABLE = [
    ("live", True, True, True),
    ("live", True, False, False),
    ("live", False, True, False),
    ("live", False, False, False),
    ("test", True, True, False),
    ("test", True, False, False),
    ("test", False, True, False),
    ("test", False, False, True),
    ("live+test", True, True, True),
    ("live+test", True, False, False),
    ("live+test", False, True, True),
    ("live+test", False, False, True),
    ("sandbox", True, True, False),
    ("sandbox", True, False, False),
    ("sandbox", False, True, False),
    ("sandbox", False, False, True),
]


@pytest.mark.parametrize(("mode", "event_live", "endpoint_live", "delivered"), INSTALL_MODE_TABLE)
def test_install_mode_table(mode, event_live, endpoint_live, delivered):
    assert install_mode_allows(mode, event_live, endpoint_live) is delivered
    result = route(
        event(livemode=event_live), [app_endpoint(livemode=endpoint_live)], installs=[install(mode)]
    )
    if delivered:
        assert result.routes == (Route("we_app", "connect"),)
    else:
        assert only_withheld(result).reason_code == "install_mode"


def test_install_mode_message_names_the_modes_and_the_rule():
    result = route(event(livemode=True), [app_endpoint(livemode=True)], installs=[install("test")])
    assert only_withheld(result).message == (
        "install mode test does not deliver live events to live-mode endpoint we_app "
        "(it delivers test events to test endpoints only)"
    )


def test_several_installs_of_one_app_deliver_if_any_allows_and_explain_in_a_stable_order():
    installs = [install("live"), install("sandbox")]
    assert route(event(), [app_endpoint()], installs=installs).routes == (
        Route("we_app", "connect"),
    )
    for order in (installs, installs[::-1]):
        result = route(event(), [app_endpoint(livemode=True)], installs=order)
        assert only_withheld(result).message == (
            "install modes live, sandbox of app ca_app on acct_merchant do not deliver "
            "test events to live-mode endpoint we_app"
        )


def test_live_plus_test_install_sends_a_test_event_to_both_endpoints():
    endpoints = [app_endpoint("we_live", livemode=True), app_endpoint("we_test", livemode=False)]
    result = route(event(livemode=False), endpoints, installs=[install("live+test")])
    assert result.routes == (Route("we_live", "connect"), Route("we_test", "connect"))


def test_endpoint_naming_an_unknown_app_is_withheld():
    result = route(event(), [app_endpoint(application="ca_ghost")], installs=[install()])
    assert only_withheld(result).reason_code == "unknown_application"


def test_app_endpoint_owned_by_someone_other_than_the_developer_is_withheld():
    result = route(event(), [app_endpoint(owner_account="acct_impostor")], installs=[install()])
    withheld = only_withheld(result)
    assert withheld.reason_code == "application_owner_mismatch"
    assert "acct_impostor" in withheld.message


def test_each_installed_app_routes_by_its_own_permissions():
    other = App("ca_other", "acct_dev2", frozenset({"event_read", "customer_read"}))
    endpoints = [
        app_endpoint(),
        app_endpoint("we_other", owner_account="acct_dev2", application="ca_other"),
    ]
    installs = [install(), Installation(MERCHANT, "ca_other", "test")]
    result = route(event(), endpoints, installs=installs, apps=[the_app(), other])
    assert result.routes == (Route("we_app", "connect"),)
    assert [w.endpoint_id for w in result.withheld] == ["we_other"]
    assert result.withheld[0].reason_code == "missing_permission"


# --- account.application.authorized / deauthorized ----------------------------------------------


def app_event(type_, application=APP, livemode=False):
    return event(type_, livemode=livemode, application=application)


def test_application_events_need_their_application():
    with pytest.raises(ConfigurationError, match="the ca_ id of data"):
        event("account.application.authorized")


def test_authorized_goes_to_the_apps_connect_endpoint_with_event_read_only():
    result = route(
        app_event("account.application.authorized"),
        [app_endpoint()],
        installs=[install()],
        apps=[the_app({"event_read"})],
    )
    assert result.routes == (Route("we_app", "connect"),)


def test_authorized_without_event_read_is_withheld():
    result = route(
        app_event("account.application.authorized"),
        [app_endpoint()],
        installs=[install()],
        apps=[the_app({"customer_read"})],
    )
    assert only_withheld(result).message == (
        "app ca_app lacks permission for account.application.authorized: grant event_read"
    )


@pytest.mark.parametrize(
    "type_", ["account.application.authorized", "account.application.deauthorized"]
)
def test_application_events_are_not_sent_to_the_accounts_own_endpoints(type_):
    withheld = only_withheld(route(app_event(type_), [own()], installs=[install()]))
    assert withheld == Withheld(
        "we_own",
        "application_only",
        f"{type_} is sent to the related application ca_app only, "
        "not to acct_merchant's own endpoint we_own",
    )


def test_application_events_are_not_sent_to_other_apps_or_plain_platforms():
    other = App("ca_other", "acct_dev2", ALL_READ)
    endpoints = [
        app_endpoint(),
        app_endpoint("we_other", owner_account="acct_dev2", application="ca_other"),
        platform_endpoint(),
    ]
    installs = [install(), Installation(MERCHANT, "ca_other", "test")]
    result = route(
        app_event("account.application.authorized"),
        endpoints,
        installs=installs,
        apps=[the_app(), other],
        connections={MERCHANT: PLATFORM},
    )
    assert result.routes == (Route("we_app", "connect"),)
    assert {(w.endpoint_id, w.reason_code) for w in result.withheld} == {
        ("we_other", "application_only"),
        ("we_platform", "application_only"),
    }


def test_deauthorized_reaches_the_app_whose_install_it_removes():
    result = route(
        app_event("account.application.deauthorized"),
        [app_endpoint()],
        installs=[install(active=False)],
    )
    assert result.routes == (Route("we_app", "connect"),)


def test_deauthorized_still_follows_the_removed_installs_mode():
    result = route(
        app_event("account.application.deauthorized", livemode=True),
        [app_endpoint(livemode=True)],
        installs=[install("test", active=False)],
    )
    assert only_withheld(result).reason_code == "install_mode"


def test_inactive_installs_count_for_the_deauthorization_only():
    result = route(event(), [app_endpoint()], installs=[install(active=False)])
    assert only_withheld(result).reason_code == "not_installed"


def test_deauthorized_never_installed_is_withheld():
    result = route(app_event("account.application.deauthorized"), [app_endpoint()], installs=[])
    assert only_withheld(result).reason_code == "not_installed"


# --- plain Connect platforms ---------------------------------------------------------------------


def test_platform_connect_endpoint_gets_connected_accounts_events_without_permissions():
    result = route(
        event("sigma.scheduled_query_run.created"),
        [platform_endpoint()],
        apps=[],
        connections={MERCHANT: PLATFORM},
    )
    assert result.routes == (Route("we_platform", "connect"),)


def test_platform_connect_endpoint_ignores_accounts_connected_elsewhere():
    result = route(event(), [platform_endpoint()], connections={MERCHANT: "acct_rival"})
    assert only_withheld(result) == Withheld(
        "we_platform", "not_connected", "acct_merchant is not connected to platform acct_platform"
    )


def test_platform_connect_endpoint_does_not_get_the_platforms_own_events():
    result = route(event(account=PLATFORM), [platform_endpoint()], connections={})
    withheld = only_withheld(result)
    assert withheld.reason_code == "not_connected"
    assert "not acct_platform's own" in withheld.message


@pytest.mark.parametrize(
    ("event_live", "endpoint_live", "delivered"),
    [(True, True, True), (False, True, True), (False, False, True), (True, False, False)],
)
def test_live_platform_endpoints_also_get_test_events_test_ones_only_test(
    event_live, endpoint_live, delivered
):
    result = route(
        event(livemode=event_live),
        [platform_endpoint(livemode=endpoint_live)],
        connections={MERCHANT: PLATFORM},
    )
    if delivered:
        assert result.routes == (Route("we_platform", "connect"),)
    else:
        assert only_withheld(result).reason_code == "livemode_mismatch"


def test_disabled_and_unselecting_platform_endpoints_are_withheld():
    endpoints = [
        platform_endpoint("we_a", status="disabled"),
        platform_endpoint("we_b", enabled_events=("customer.created",)),
    ]
    result = route(event(), endpoints, connections={MERCHANT: PLATFORM})
    assert [(w.endpoint_id, w.reason_code) for w in result.withheld] == [
        ("we_a", "endpoint_disabled"),
        ("we_b", "event_not_selected"),
    ]


# --- precedence, order, validation ---------------------------------------------------------------


def test_relationship_is_reported_before_status_mode_permission_and_filter():
    endpoint = app_endpoint(status="disabled", livemode=True, enabled_events=("customer.*",))
    result = route(event(), [endpoint], installs=[], apps=[the_app(set())])
    assert only_withheld(result).reason_code == "not_installed"
    result = route(event(), [endpoint], installs=[install()], apps=[the_app(set())])
    assert only_withheld(result).reason_code == "endpoint_disabled"
    endpoint = dataclasses.replace(endpoint, status="enabled")
    result = route(event(), [endpoint], installs=[install()], apps=[the_app(set())])
    assert only_withheld(result).reason_code == "install_mode"
    endpoint = dataclasses.replace(endpoint, livemode=False)
    result = route(event(), [endpoint], installs=[install()], apps=[the_app(set())])
    assert only_withheld(result).reason_code == "missing_permission"
    result = route(event(), [endpoint], installs=[install()])
    assert only_withheld(result).reason_code == "event_not_selected"


def test_output_is_sorted_by_endpoint_id_whatever_the_input_order():
    endpoints = [
        own("we_c"),
        app_endpoint("we_a"),
        own("we_b", status="disabled"),
        app_endpoint("we_d", status="disabled"),
        platform_endpoint("we_0"),
    ]
    expected = route(event(), endpoints, installs=[install()])
    assert [r.endpoint_id for r in expected.routes] == ["we_a", "we_c"]
    assert [w.endpoint_id for w in expected.withheld] == ["we_0", "we_b", "we_d"]
    shuffler = random.Random(4)
    for _ in range(10):
        shuffler.shuffle(endpoints)
        assert route(event(), endpoints, installs=[install()]) == expected


def test_a_routing_unpacks_into_routes_and_withheld():
    routes, withheld = route(event(), [own()])
    assert routes == (Route("we_own", "own"),)
    assert withheld == ()


def test_duplicate_endpoint_ids_are_rejected():
    with pytest.raises(ConfigurationError, match="we_own more than once"):
        route(event(), [own(), own()])


def test_duplicate_app_ids_are_rejected():
    with pytest.raises(ConfigurationError, match="ca_app more than once"):
        route(event(), [own()], apps=[the_app(), the_app()])


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: own(enabled_events="*"), "expected a tuple of event types"),
        (lambda: own(enabled_events=["*"]), "expected a tuple of event types"),
        (lambda: own(status="paused"), "expected 'enabled' or 'disabled'"),
        (lambda: install(mode="both"), "expected one of live, test, live\\+test, sandbox"),
    ],
)
def test_unusable_inputs_raise_configuration_error(build, match):
    with pytest.raises(ConfigurationError, match=match):
        build()


# --- properties over random small worlds ---------------------------------------------------------

ACCOUNTS = ["acct_a", "acct_b", "acct_p", "acct_q"]
APP_IDS = ["ca_1", "ca_2"]
PERMISSIONS = [
    "event_read",
    "payment_intent_read",
    "customer_read",
    "checkout_session_read",
    "charge_read",
]
EVENT_TYPES = [
    "payment_intent.succeeded",
    "customer.created",
    "charge.succeeded",
    "account.application.authorized",
    "account.application.deauthorized",
    "sigma.scheduled_query_run.created",
    "made_up.event",
]


APP_OWNERS = {"ca_1": "acct_p", "ca_2": "acct_q"}


@st.composite
def endpoints_of(draw, n, event_type):
    """Mostly well-formed endpoints (own, app Connect, plain Connect), sometimes anything."""
    kind = draw(st.sampled_from(["own", "app", "app", "plain", "plain", "anything"]))
    application = draw(st.sampled_from(APP_IDS)) if kind == "app" else None
    if kind == "anything":
        application = draw(st.sampled_from([None, *APP_IDS, "ca_ghost"]))
    owners = ["acct_p", "acct_q"] if kind == "plain" else ACCOUNTS
    owner = APP_OWNERS[application] if kind == "app" else draw(st.sampled_from(owners))
    return WebhookEndpoint(
        f"we_{n}",
        owner,
        "https://x.example/hook",
        draw(st.sampled_from([("*",), (event_type,), ("customer.*",), ("charge.succeeded",)])),
        connect=kind != "own" and (kind != "anything" or draw(st.booleans())),
        livemode=draw(st.booleans()),
        status=draw(st.sampled_from(["enabled", "enabled", "disabled"])),
        application=application,
    )


@st.composite
def worlds(draw):
    type_ = draw(st.sampled_from(EVENT_TYPES))
    application = (
        draw(st.sampled_from(APP_IDS)) if type_.startswith("account.application.") else None
    )
    account = draw(st.sampled_from(ACCOUNTS))
    evt = EventToRoute("evt_x", type_, account, draw(st.booleans()), application)
    granted = st.sets(st.sampled_from(PERMISSIONS)) | st.just(set(PERMISSIONS))
    apps = [App(app_id, owner, frozenset(draw(granted))) for app_id, owner in APP_OWNERS.items()]
    endpoints = [draw(endpoints_of(n, type_)) for n in range(draw(st.integers(0, 6)))]
    modes = st.sampled_from(["live", "test", "live+test", "sandbox"])
    active = st.sampled_from([True, True, False])
    installs = [
        Installation(account, app_id, draw(modes), draw(active))
        for app_id in APP_IDS
        if draw(st.booleans())
    ]
    installs += draw(
        st.lists(
            st.builds(
                Installation, st.sampled_from(ACCOUNTS), st.sampled_from(APP_IDS), modes, active
            ),
            max_size=3,
        )
    )
    connections = draw(
        st.dictionaries(st.sampled_from(ACCOUNTS), st.sampled_from(ACCOUNTS), max_size=4)
    )
    if draw(st.booleans()):
        connections[account] = draw(st.sampled_from(["acct_p", "acct_q"]))
    return evt, endpoints, installs, apps, connections


@settings(max_examples=400, deadline=None)
@given(worlds())
def test_connect_endpoints_only_get_events_of_related_accounts_they_are_permitted(world):
    evt, endpoints, installs, apps, connections = world
    result = route_event(evt, endpoints, installations=installs, apps=apps, connections=connections)
    by_id = {endpoint.id: endpoint for endpoint in endpoints}
    apps_by_id = {app.id: app for app in apps}
    for routed in result.routes:
        endpoint = by_id[routed.endpoint_id]
        assert endpoint.status == "enabled"
        assert enabled_events_select(endpoint.enabled_events, evt.type)
        if routed.reason == "own":
            assert not endpoint.connect and endpoint.owner_account == evt.account
            assert endpoint.livemode == evt.livemode
            assert not evt.type.startswith("account.application.")
            continue
        assert endpoint.connect
        if endpoint.application is None:
            # invariant 1 (plain platform): only accounts connected to its platform
            assert connections.get(evt.account) == endpoint.owner_account
            assert not evt.type.startswith("account.application.")
            continue
        app = apps_by_id[endpoint.application]
        assert app.owner_account == endpoint.owner_account
        # invariant 1 (app): only accounts that installed the app (or are being uninstalled)
        assert any(
            i.account == evt.account
            and i.application == app.id
            and (i.active or evt.type == "account.application.deauthorized")
            for i in installs
        )
        if evt.type.startswith("account.application."):
            assert evt.application == app.id
        # invariant 2: only events the manifest grants event_read + one permission for
        assert is_known_event_type(evt.type)
        assert "event_read" in app.granted_permissions
        assert app.granted_permissions & set(permissions_for(evt.type))


@settings(max_examples=500, deadline=None)
@given(worlds(), st.randoms(use_true_random=False))
def test_every_plausible_endpoint_is_answered_once_in_order_and_input_order_does_not_matter(
    world, rnd
):
    evt, endpoints, installs, apps, connections = world
    result = route_event(evt, endpoints, installations=installs, apps=apps, connections=connections)
    answered = [r.endpoint_id for r in result.routes] + [w.endpoint_id for w in result.withheld]
    plausible = {e.id for e in endpoints if e.connect or e.owner_account == evt.account}
    assert sorted(answered) == sorted(plausible)
    assert [r.endpoint_id for r in result.routes] == sorted(r.endpoint_id for r in result.routes)
    assert [w.endpoint_id for w in result.withheld] == sorted(
        w.endpoint_id for w in result.withheld
    )
    assert all(w.message for w in result.withheld)
    rnd.shuffle(endpoints)
    rnd.shuffle(installs)
    rnd.shuffle(apps)
    assert (
        route_event(evt, endpoints, installations=installs, apps=apps, connections=connections)
        == result
    )
