import pytest
from django.db import IntegrityError, transaction

from mappings.models import AccountMapping
from syncapp.models import Conflict, Connection, SyncKind, SyncLink
from tests.factories import (
    AccountMappingFactory,
    ConflictFactory,
    ConnectionFactory,
    CurrencyMappingFactory,
    CursorFactory,
    IntegrationFactory,
    SyncLinkFactory,
    TaxMappingFactory,
    TrackingMappingFactory,
    WebhookEventFactory,
)

pytestmark = pytest.mark.django_db


def assert_rejected(factory, **kwargs):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**kwargs)


def test_ledger_rejects_a_second_row_for_the_same_harvest_object():
    link = SyncLinkFactory()
    assert_rejected(
        SyncLinkFactory, integration=link.integration, kind=link.kind, harvest_id=link.harvest_id
    )


def test_ledger_rejects_two_harvest_objects_pointing_at_one_xero_object():
    link = SyncLinkFactory()
    assert_rejected(
        SyncLinkFactory, integration=link.integration, kind=link.kind, xero_id=link.xero_id
    )


def test_ledger_allows_many_rows_whose_xero_side_is_not_known_yet():
    integration = IntegrationFactory()
    SyncLinkFactory(integration=integration, xero_id=None)
    SyncLinkFactory(integration=integration, xero_id=None)
    assert SyncLink.objects.filter(integration=integration, xero_id__isnull=True).count() == 2


def test_ledger_keys_are_per_kind_and_per_integration():
    link = SyncLinkFactory(kind=SyncKind.INVOICE)
    SyncLinkFactory(integration=link.integration, kind=SyncKind.CLIENT, harvest_id=link.harvest_id)
    SyncLinkFactory(kind=SyncKind.INVOICE, harvest_id=link.harvest_id)


def test_ledger_row_needs_at_least_one_side():
    assert_rejected(SyncLinkFactory, harvest_id=None, xero_id=None)


def test_one_connection_per_provider_per_integration():
    connection = ConnectionFactory(provider=Connection.Provider.XERO)
    assert_rejected(
        ConnectionFactory, integration=connection.integration, provider=Connection.Provider.XERO
    )
    ConnectionFactory(integration=connection.integration, provider=Connection.Provider.HARVEST)


def test_one_open_conflict_per_record_but_history_is_kept():
    conflict = ConflictFactory()
    assert_rejected(
        ConflictFactory, integration=conflict.integration, harvest_id=conflict.harvest_id
    )
    conflict.status = Conflict.Status.RESOLVED
    conflict.save()
    ConflictFactory(integration=conflict.integration, harvest_id=conflict.harvest_id)


def test_one_cursor_per_stream():
    cursor = CursorFactory()
    assert_rejected(CursorFactory, integration=cursor.integration, stream=cursor.stream)


def test_webhook_events_are_deduplicated():
    event = WebhookEventFactory()
    assert_rejected(WebhookEventFactory, dedupe_key=event.dedupe_key)


@pytest.mark.parametrize(
    ("factory", "natural_key"),
    [
        (AccountMappingFactory, {"scope": AccountMapping.Scope.TASK, "harvest_task_id": "77"}),
        (TaxMappingFactory, {"applies": "tax", "tax_percent": "20"}),
        (
            TrackingMappingFactory,
            {"scope": "project", "harvest_id": "9", "tracking_category": "Region"},
        ),
        (CurrencyMappingFactory, {"harvest_currency": "EUR"}),
    ],
)
def test_mappings_are_unique_by_natural_key(factory, natural_key):
    first = factory(**natural_key)
    assert_rejected(factory, integration=first.integration, **natural_key)
    factory(**natural_key)  # the same key in another integration is fine


def test_account_mapping_scope_decides_which_keys_are_filled():
    from django.core.exceptions import ValidationError

    mapping = AccountMappingFactory.build(
        integration=IntegrationFactory(), scope="project_task", harvest_task_id="5"
    )
    with pytest.raises(ValidationError) as excinfo:
        mapping.full_clean()
    assert "harvest_project_id" in excinfo.value.message_dict


def test_the_finance_group_comes_from_a_migration():
    from django.contrib.auth.models import Group

    from syncapp.roles import FINANCE_PERMISSIONS

    group = Group.objects.get(name="Finance")
    codes = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
    assert codes == set(FINANCE_PERMISSIONS)
