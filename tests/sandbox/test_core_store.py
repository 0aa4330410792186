import pickle
from decimal import Decimal

import pytest

from syncapp.sandbox.core.store import SandboxState, StateStore
from syncapp.sandbox.seed import seed_sandbox

from .conftest import SEED_TODAY


def test_state_round_trips_through_the_file(tmp_path):
    state = SandboxState.empty()
    seed_sandbox(state, seed=3, today=SEED_TODAY)
    invoice = next(iter(state.harvest.invoices.values()))
    store = StateStore(tmp_path / "sandbox" / "state.pickle")
    assert store.load() is None
    store.save(state)
    loaded = store.load()
    assert loaded.seed == 3
    assert loaded.counters == state.counters
    assert loaded.harvest.invoices[invoice["id"]] == invoice
    assert isinstance(loaded.harvest.invoices[invoice["id"]]["amount"], Decimal)
    assert loaded.harvest.tokens == state.harvest.tokens
    assert store.delete() is True
    assert not store.exists()
    assert store.delete() is False


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path):
    store = StateStore(tmp_path / "state.pickle")
    store.save(SandboxState.empty())
    store.save(SandboxState.empty())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.pickle"]


def test_debounced_save_and_flush(tmp_path):
    store = StateStore(tmp_path / "state.pickle", debounce_seconds=60)
    state = SandboxState.empty()
    state.seed = 9
    store.schedule_save(state)
    assert not store.exists()  # not before the debounce delay
    store.flush(state)
    assert store.load().seed == 9


def test_a_foreign_file_is_refused(tmp_path):
    path = tmp_path / "state.pickle"
    import pickle

    path.write_bytes(pickle.dumps({"not": "a state"}))
    with pytest.raises(ValueError):
        StateStore(path).load()


def test_ids_are_deterministic_per_seed():
    a, b = SandboxState(seed=1), SandboxState(seed=1)
    assert [a.next_id("x") for _ in range(3)] == [1, 2, 3]
    assert a.next_uuid("inv") == b.next_uuid("inv")
    assert SandboxState(seed=2).next_uuid("inv") != SandboxState(seed=1).next_uuid("inv")


def test_a_state_saved_before_a_field_existed_still_loads():
    from syncapp.sandbox.harvest.state import HarvestState

    old = HarvestState()
    del old.__dict__["invoice_numbers"]
    restored = pickle.loads(pickle.dumps(old))
    assert restored.invoice_numbers == {}
