"""The lifecycle's final state depends on `created` order only, never on arrival order."""

import itertools
import json
from dataclasses import replace

import pytest

from appevents import Event
from appevents.receiver.installations import Installation, Plan, plan

AUTH, DEAUTH, BIZ = (
    "account.application.authorized",
    "account.application.deauthorized",
    "payment_intent.succeeded",
)


def ev(kind: str, created: int, n: int = 0) -> Event:
    doc = {
        "id": f"evt_{created:03d}_{n}",
        "object": "event",
        "type": kind,
        "account": "acct_1",
        "livemode": False,
        "created": created,
        "data": {"object": {"id": "ca_1", "object": "application", "name": "App"}},
    }
    return Event.parse(json.dumps(doc).encode())


def run(events):
    """Apply events in the given order; return the final state and what ran."""
    state, installs, uninstalls, dispatched, erased = None, 0, 0, [], []
    for event in events:
        decision = plan(event, state)
        if decision.installation is not None:
            state = decision.installation
        installs += decision.run_install
        uninstalls += decision.run_uninstall
        if decision.dispatch:
            dispatched.append(event.id)
        if decision.erase_through is not None:
            erased.append(decision.erase_through)
    return state, installs, uninstalls, dispatched, erased


def lifecycle_state(state: Installation):
    """The parts of the state that must not depend on arrival order."""
    active_since = state.installed_at if state.active and state.source == "authorized" else None
    return (state.status, state.lifecycle_created, state.lifecycle_event_id, active_since)


SCENARIOS = [
    [ev(AUTH, 1), ev(BIZ, 2), ev(DEAUTH, 3)],
    [ev(AUTH, 1), ev(BIZ, 2), ev(BIZ, 2, 1), ev(DEAUTH, 3), ev(AUTH, 5), ev(BIZ, 6)],
    [ev(AUTH, 1), ev(DEAUTH, 3), ev(AUTH, 5), ev(DEAUTH, 7)],
    [ev(BIZ, 2), ev(AUTH, 1), ev(DEAUTH, 2, 1)],  # same second: the uninstall wins
    [ev(AUTH, 1), ev(AUTH, 1, 1), ev(BIZ, 4)],
    # An install and an uninstall in one second: the uninstall wins, whichever id sorts first.
    [ev(AUTH, 1, 1), ev(DEAUTH, 1, 0)],
    [ev(AUTH, 1, 0), ev(DEAUTH, 1, 1)],
    [ev(AUTH, 1, 0), ev(DEAUTH, 1, 1), ev(AUTH, 2)],
]


@pytest.mark.parametrize("events", SCENARIOS)
def test_every_arrival_order_reaches_the_created_order_state(events):
    in_order = sorted(events, key=lambda e: (e.created, e.type != DEAUTH, e.id))
    expected, *_ = run(in_order)
    for permutation in itertools.permutations(events):
        final, _, uninstalls, _, _ = run(permutation)
        assert lifecycle_state(final) == lifecycle_state(expected), [e.id for e in permutation]
        # Whatever the order, an app that ends uninstalled ran on_uninstall at least once.
        if final.status == "uninstalled":
            assert uninstalls >= 1


@pytest.mark.parametrize("events", SCENARIOS[:1])
def test_install_use_uninstall_runs_each_hook_exactly_once_in_any_order(events):
    for permutation in itertools.permutations(events):
        final, _, uninstalls, _, erased = run(permutation)
        assert final.status == "uninstalled"
        assert uninstalls == 1
        assert max(erased) == 3  # everything up to the uninstall is erased


@pytest.mark.parametrize("events", SCENARIOS[5:7])
def test_an_install_and_uninstall_in_one_second_end_uninstalled_in_any_order(events):
    for permutation in itertools.permutations(events):
        final, _, uninstalls, _, erased = run(permutation)
        assert final.status == "uninstalled", [e.id for e in permutation]
        assert final.uninstalled_at == 1
        assert uninstalls == 1
        assert max(erased) == 1  # the install's payload goes with the uninstall


def test_a_reinstall_in_the_uninstall_second_shows_with_the_next_event_in_any_order():
    events = [ev(AUTH, 1), ev(DEAUTH, 2), ev(AUTH, 2, 1), ev(BIZ, 3)]
    for permutation in itertools.permutations(events):
        final, _, _, dispatched, _ = run(permutation)
        assert final.status == "active", [e.id for e in permutation]
        assert "evt_003_0" in dispatched


def test_first_authorization_installs():
    decision = plan(ev(AUTH, 10), None)
    assert decision.run_install and decision.dispatch and not decision.run_uninstall
    assert decision.installation == Installation(
        "acct_1", False, "active", "authorized", "ca_1", "App", installed_at=10,
        lifecycle_created=10, lifecycle_event_id="evt_010_0",
    )  # fmt: skip


def test_reauthorization_updates_and_reactivates():
    uninstalled = run([ev(AUTH, 1), ev(DEAUTH, 2)])[0]
    decision = plan(ev(AUTH, 3), uninstalled)
    assert decision.run_install
    assert decision.installation is not None
    assert decision.installation.status == "active"
    assert decision.installation.uninstalled_at is None


def test_stale_authorization_changes_nothing():
    uninstalled = run([ev(AUTH, 1), ev(DEAUTH, 5)])[0]
    assert plan(ev(AUTH, 3), uninstalled) == Plan(None, dispatch=False, erase_through=3)
    reinstalled = run([ev(AUTH, 1), ev(AUTH, 4)])[0]
    assert plan(ev(AUTH, 3), reinstalled) == Plan(None, dispatch=False)


def test_business_event_for_an_unknown_account_implies_an_installation():
    decision = plan(ev(BIZ, 7), None)
    assert decision.run_install and decision.dispatch
    assert decision.installation is not None
    assert (decision.installation.status, decision.installation.source) == ("active", "implied")


def test_business_event_from_before_the_uninstall_is_not_dispatched_and_erased():
    uninstalled = run([ev(AUTH, 1), ev(DEAUTH, 5)])[0]
    assert plan(ev(BIZ, 4), uninstalled) == Plan(None, dispatch=False, erase_through=4)
    assert plan(ev(BIZ, 5), uninstalled) == Plan(None, dispatch=False, erase_through=5)


def test_business_event_after_the_uninstall_implies_a_reinstall():
    uninstalled = run([ev(AUTH, 1), ev(DEAUTH, 5)])[0]
    decision = plan(ev(BIZ, 6), uninstalled)
    assert decision.run_install and decision.dispatch
    assert decision.installation == replace(
        uninstalled, status="active", source="implied", installed_at=6, uninstalled_at=None,
        active_since_evidence=6,
    )  # fmt: skip


def test_deauthorization_older_than_known_activity_is_stale_but_erases_its_past():
    active = run([ev(AUTH, 1), ev(BIZ, 9)])[0]
    decision = plan(ev(DEAUTH, 5), active)
    assert not decision.run_uninstall and not decision.dispatch
    assert decision.erase_through == 5
    assert decision.installation == replace(active, last_deauthorized_at=5)


def test_uninstall_of_an_account_never_seen_still_runs_on_uninstall():
    decision = plan(ev(DEAUTH, 3), None)
    assert decision.run_uninstall and decision.erase_through == 3
    assert decision.installation is not None and decision.installation.status == "uninstalled"


def test_a_second_uninstall_does_not_run_on_uninstall_again():
    uninstalled = run([ev(AUTH, 1), ev(DEAUTH, 3)])[0]
    decision = plan(ev(DEAUTH, 4), uninstalled)
    assert not decision.run_uninstall


def thin_ev(kind: str, created: int, n: int = 0) -> Event:
    """A thin notification of account acct_1 (as an event destination delivers it)."""
    doc = {
        "id": f"evt_test_{created:03d}_{n}",
        "object": "v2.core.event",
        "type": kind,
        "context": "acct_1",
        "livemode": False,
        "created": f"2026-12-07T20:00:{created:02d}.500Z",
    }
    return Event.parse(json.dumps(doc).encode())


T = 1_796_673_600  # 2026-12-07T20:00:00Z, thin_ev's second 0


def test_thin_lifecycle_events_install_and_uninstall_like_their_snapshot_twins():
    installed = plan(thin_ev("v1." + AUTH, 1), None)
    assert installed.run_install and installed.dispatch
    assert installed.installation == Installation(
        "acct_1", False, "active", "authorized", installed_at=T + 1, lifecycle_created=T + 1,
        lifecycle_event_id="evt_test_001_0",
    )  # fmt: skip
    uninstalled = plan(thin_ev("v1." + DEAUTH, 3), installed.installation)
    assert uninstalled.run_uninstall and uninstalled.erase_through == T + 3
    assert uninstalled.installation is not None
    assert uninstalled.installation.status == "uninstalled"
    # A thin business event of the uninstalled installation is not dispatched.
    assert plan(thin_ev("v1.billing.meter.updated", 2), uninstalled.installation) == Plan(
        None, dispatch=False, erase_through=T + 2
    )


def test_thin_and_snapshot_lifecycle_events_mix_in_created_order():
    events = [thin_ev("v1." + AUTH, 1), ev(BIZ, T + 2), thin_ev("v1." + DEAUTH, 3)]
    for permutation in itertools.permutations(events):
        final, _, uninstalls, _, erased = run(permutation)
        assert (final.status, final.lifecycle_event_id) == ("uninstalled", "evt_test_003_0")
        assert uninstalls == 1
        assert max(erased) == T + 3
