"""Text as the APIs can send it: NUL, control characters, lone surrogates and over-long values in
any field fail or clean that record alone, on SQLite and PostgreSQL, through whole runs."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from syncapp.models import Conflict, RateGovernorState, SyncEvent, SyncKind, SyncLink, SyncRun
from tests.flows.conftest import flow_run, sandbox_build, sandbox_integration_create

pytestmark = pytest.mark.django_db

UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
DONE = (SyncRun.Status.SUCCEEDED, SyncRun.Status.WITH_FAILURES)


def clients_to_send(sandbox) -> list[dict]:
    """Active Harvest clients with an open invoice and no near-duplicate in Xero (those go to
    review whatever their text), in a stable order."""
    harvest = sandbox.state.harvest
    near = {d["client_id"] for d in harvest.seed_info.get("near_duplicates", [])}
    with_open = {i["_client_id"] for i in harvest.invoices.values() if i["state"] == "open"}
    xero_names = {c["Name"].casefold() for c in sandbox.state.xero.contacts.values()}
    return [
        c
        for c in sorted(harvest.clients.values(), key=lambda c: c["id"])
        if c["is_active"]
        and c["id"] in with_open
        and c["id"] not in near
        and c["name"].casefold() not in xero_names
    ]


def open_invoice_of(sandbox, client_id: int) -> dict:
    return next(
        i
        for i in sorted(sandbox.state.harvest.invoices.values(), key=lambda i: i["id"])
        if i["_client_id"] == client_id and i["state"] == "open"
    )


def xero_invoice_numbered(sandbox, number: str) -> dict | None:
    found = [i for i in sandbox.state.xero.invoices.values() if i.get("InvoiceNumber") == number]
    return found[0] if found else None


def assert_nothing_unsafe_stored(integration) -> None:
    for message in SyncEvent.objects.filter(run__integration=integration).values_list(
        "message", flat=True
    ):
        assert not UNSAFE.search(message or "")
    for label, snapshot in SyncLink.objects.filter(integration=integration).values_list(
        "label", "snapshot"
    ):
        assert not UNSAFE.search(label or "")
        assert not UNSAFE.search(str(snapshot))


def synced_clients(integration) -> set[str]:
    return set(
        SyncLink.objects.filter(
            integration=integration, kind=SyncKind.CLIENT, state=SyncLink.State.SYNCED
        ).values_list("harvest_id", flat=True)
    )


def test_nul_and_controls_from_harvest_are_cleaned_and_every_client_still_syncs(db):
    sandbox = sandbox_build(invoices=40)
    integration = sandbox_integration_create(sandbox)
    dirty, *others = clients_to_send(sandbox)
    dirty["name"] = "Bright\x00 Labs\x07 Ltd"
    dirty["address"] = "1 Harbour\x00 Road\x1b\nWellington"
    invoice = open_invoice_of(sandbox, dirty["id"])
    invoice["_line_items"][0]["description"] = "Design\x00 work\x0c review"

    contacts = flow_run(integration, "contacts", sandbox=sandbox)
    invoices = flow_run(integration, "invoices", sandbox=sandbox)

    assert contacts.status == SyncRun.Status.SUCCEEDED, contacts.error
    assert invoices.status in DONE, invoices.error
    assert {str(dirty["id"])} | {str(c["id"]) for c in others} <= synced_clients(integration)
    names = [c["Name"] for c in sandbox.state.xero.contacts.values()]
    assert "Bright Labs  Ltd" in names
    assert not any(UNSAFE.search(n) for n in names)
    sent = xero_invoice_numbered(sandbox, invoice["number"])
    assert sent is not None
    assert sent["LineItems"][0]["Description"].startswith("Design work  review")
    assert_nothing_unsafe_stored(integration)


def test_nul_in_a_xero_contact_name_does_not_stop_matching_or_the_run(db):
    sandbox = sandbox_build(invoices=20)
    integration = sandbox_integration_create(sandbox)
    contact = next(iter(sandbox.state.xero.contacts.values()))
    contact["Name"] = contact["Name"] + "\x00\x1f"

    run = flow_run(integration, "contacts", sandbox=sandbox)

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert {str(c["id"]) for c in clients_to_send(sandbox)} <= synced_clients(integration)
    assert_nothing_unsafe_stored(integration)


def test_a_client_name_over_xeros_limit_waits_with_the_reason_and_holds_only_its_invoices(db):
    sandbox = sandbox_build(invoices=40)
    integration = sandbox_integration_create(sandbox)
    long_one, *others = clients_to_send(sandbox)
    long_one["name"] = "Very Long Name " + "x" * 290

    contacts = flow_run(integration, "contacts", sandbox=sandbox)
    invoices = flow_run(integration, "invoices", sandbox=sandbox)

    assert contacts.status == SyncRun.Status.SUCCEEDED, contacts.error
    link = SyncLink.objects.get(
        integration=integration, kind=SyncKind.CLIENT, harvest_id=long_one["id"]
    )
    assert link.state == SyncLink.State.HELD
    assert "305 characters; Xero allows 255. Shorten it in Harvest." in link.last_error
    assert not any(len(c["Name"]) > 255 for c in sandbox.state.xero.contacts.values())
    assert {str(c["id"]) for c in others} <= synced_clients(integration)
    held = SyncLink.objects.get(
        integration=integration,
        kind=SyncKind.INVOICE,
        harvest_id=open_invoice_of(sandbox, long_one["id"])["id"],
    )
    assert held.state == SyncLink.State.HELD
    assert "Shorten it in Harvest" in held.last_error
    assert invoices.status in DONE
    other = open_invoice_of(sandbox, others[0]["id"])
    assert xero_invoice_numbered(sandbox, other["number"]) is not None


def test_an_over_long_invoice_number_fails_that_invoice_alone_and_long_text_is_shortened(db):
    sandbox = sandbox_build(invoices=40)
    integration = sandbox_integration_create(sandbox)
    first, second, *_ = clients_to_send(sandbox)
    long_number = open_invoice_of(sandbox, first["id"])
    long_number["number"] = "N" * 300
    long_text = open_invoice_of(sandbox, second["id"])
    long_text["_line_items"][0]["description"] = "Discovery " * 500  # 5,000 characters

    flow_run(integration, "contacts", sandbox=sandbox)
    run = flow_run(integration, "invoices", sandbox=sandbox)

    assert run.status == SyncRun.Status.WITH_FAILURES
    failed = SyncLink.objects.get(
        integration=integration, kind=SyncKind.INVOICE, harvest_id=long_number["id"]
    )
    assert failed.state == SyncLink.State.FAILED
    assert "is 300 characters; Xero allows 255" in failed.last_error
    assert run.counters["invoices"]["failed"] == 1
    assert not any(
        len(i.get("InvoiceNumber", "")) > 255 for i in sandbox.state.xero.invoices.values()
    )
    sent = xero_invoice_numbered(sandbox, long_text["number"])
    assert sent is not None
    assert len(sent["LineItems"][0]["Description"]) <= 4000


# Any text Hypothesis can make, weighted towards what breaks databases and JSON: NUL, C0/C1
# controls, lone surrogates, astral characters (two UTF-16 units in Xero's count).
NASTY = st.text(
    alphabet=st.one_of(
        st.sampled_from(["\x00", "\x07", "\x1b", "\x7f", "\x85", "\ud800", "\udfff", "😀", "é"]),
        st.characters(codec="utf-8"),
        st.characters(max_codepoint=0x9F),
    ),
    max_size=300,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=NASTY, address=NASTY, description=NASTY, xero_name=NASTY)
@example(name="0", address="", description="", xero_name="0")  # a lookalike: to review
def test_fuzzed_text_from_both_apis_never_fails_a_whole_run(
    db, name, address, description, xero_name
):
    # Every example's sandbox is the same organisation to the shared rate governor: start each
    # with its minute unspent, as a fresh install would.
    RateGovernorState.objects.all().delete()
    sandbox = sandbox_build(invoices=12, validate=False)
    integration = sandbox_integration_create(sandbox, name=f"fuzz {SyncRun.objects.count()}")
    fuzzed, *others = clients_to_send(sandbox)
    fuzzed["name"] = name
    fuzzed["address"] = address
    open_invoice_of(sandbox, fuzzed["id"])["_line_items"][0]["description"] = description
    contact = next(iter(sandbox.state.xero.contacts.values()))
    contact["Name"] = xero_name or "x"

    contacts = flow_run(integration, "contacts", sandbox=sandbox)
    invoices = flow_run(integration, "invoices", sandbox=sandbox)

    assert contacts.status in DONE, contacts.error
    assert invoices.status in DONE, invoices.error
    # The fuzzed client is synced, held or failed with a reason: never the others.
    assert {str(c["id"]) for c in others} <= synced_clients(integration)
    link = SyncLink.objects.filter(
        integration=integration, kind=SyncKind.CLIENT, harvest_id=fuzzed["id"]
    ).first()
    assert link is None or link.state != SyncLink.State.SENDING
    if link is not None and link.state == SyncLink.State.CONFLICT:
        # e.g. a client and a Xero contact both named "0": finance decides, with the reason
        assert Conflict.objects.filter(
            integration=integration, harvest_id=fuzzed["id"], status=Conflict.Status.OPEN
        ).exclude(reason="").exists()
    elif link is not None and link.state != SyncLink.State.SYNCED:
        assert link.last_error
    assert_nothing_unsafe_stored(integration)
