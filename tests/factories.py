from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from mappings.models import (
    AccountMapping,
    ContactMatchRule,
    CurrencyMapping,
    ExpenseCategoryMapping,
    TaxMapping,
    TrackingMapping,
)
from syncapp.models import (
    Conflict,
    Connection,
    Cursor,
    Integration,
    SyncEvent,
    SyncKind,
    SyncLink,
    SyncRun,
    WebhookEvent,
)
from syncapp.roles import finance_group_sync

# Recognisable secrets: tests assert these strings never appear in pages, logs or columns.
ACCESS_TOKEN = "ACCESS-TOKEN-4f9c2b7e-never-show"
REFRESH_TOKEN = "REFRESH-TOKEN-8d1e6a3c-never-show"
CLIENT_SECRET = "CLIENT-SECRET-2b7f0e9d-never-show"
SECRETS = (ACCESS_TOKEN, REFRESH_TOKEN, CLIENT_SECRET)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "a-long-test-password-1")

    @factory.post_generation
    def finance(self, create, extracted, **kwargs):
        if extracted:
            # The data migration made the group, but transactional tests flush it away.
            self.groups.add(finance_group_sync(group_model=Group, permission_model=Permission))
        self.save()


class IntegrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Integration

    name = factory.Sequence(lambda n: f"Agency {n}")
    default_account_code = "200"


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connection

    integration = factory.SubFactory(IntegrationFactory)
    provider = Connection.Provider.XERO
    account_id = factory.Faker("uuid4")
    account_name = "Demo Company (UK)"
    access_token = ACCESS_TOKEN
    refresh_token = REFRESH_TOKEN
    client_id = "client-id-public"
    client_secret = CLIENT_SECRET


class SyncLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SyncLink

    integration = factory.SubFactory(IntegrationFactory)
    kind = SyncKind.INVOICE
    harvest_id = factory.Sequence(lambda n: str(1000 + n))
    xero_id = factory.Faker("uuid4")
    label = factory.Sequence(lambda n: f"INV-{n:04d}")
    state = SyncLink.State.SYNCED


class SyncRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SyncRun

    integration = factory.SubFactory(IntegrationFactory)


class SyncEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SyncEvent

    run = factory.SubFactory(SyncRunFactory)
    kind = SyncKind.INVOICE
    action = SyncEvent.Action.CREATE
    label = "INV-0001"


class ConflictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conflict

    integration = factory.SubFactory(IntegrationFactory)
    kind = SyncKind.CLIENT
    harvest_id = factory.Sequence(lambda n: str(500 + n))
    label = "Acme Ltd"
    reason = Conflict.Reason.AMBIGUOUS_MATCH
    candidates = factory.LazyFunction(
        lambda: [{"xero_id": "c1", "name": "ACME Limited", "reasons": ["name"]}]
    )


class CursorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cursor

    integration = factory.SubFactory(IntegrationFactory)
    stream = factory.Sequence(lambda n: f"harvest.stream{n}")
    value = "2026-11-01T00:00:00Z"


class WebhookEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEvent

    dedupe_key = factory.Sequence(lambda n: f"{n:064d}")
    tenant_id = factory.Faker("uuid4")
    event_category = "INVOICE"
    event_type = "UPDATE"
    resource_id = factory.Faker("uuid4")
    payload = factory.LazyFunction(dict)


class AccountMappingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountMapping

    integration = factory.SubFactory(IntegrationFactory)
    scope = AccountMapping.Scope.TASK
    harvest_task_id = factory.Sequence(lambda n: str(100 + n))
    account_code = "200"


class TaxMappingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaxMapping

    integration = factory.SubFactory(IntegrationFactory)
    applies = TaxMapping.Applies.TAX
    tax_percent = "20"
    xero_tax_type = "OUTPUT2"


class TrackingMappingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrackingMapping

    integration = factory.SubFactory(IntegrationFactory)
    scope = TrackingMapping.Scope.PROJECT
    harvest_id = factory.Sequence(lambda n: str(300 + n))
    tracking_category = "Department"
    tracking_option = "Design"


class CurrencyMappingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CurrencyMapping

    integration = factory.SubFactory(IntegrationFactory)
    harvest_currency = "GBP"
    xero_currency = "GBP"


class ContactMatchRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactMatchRule

    integration = factory.SubFactory(IntegrationFactory)


class ExpenseCategoryMappingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExpenseCategoryMapping

    integration = factory.SubFactory(IntegrationFactory)
    harvest_expense_category_id = factory.Sequence(lambda n: str(4100 + n))
    name = factory.Sequence(lambda n: f"Category {n}")
    account_code = "429"


class PaymentLedgerEntryFactory(SyncLinkFactory):
    """A payment row of the ledger (issue 8), as the payments flow writes it."""

    class Meta:
        model = "syncapp.PaymentLedgerEntry"

    kind = SyncKind.PAYMENT
    label = factory.Sequence(lambda n: f"{1000 + n}: Xero payment")
    snapshot = factory.LazyFunction(
        lambda: {
            "direction": "xero_to_harvest",
            "harvest_invoice_number": "1001",
            "xero_invoice_number": "INV-1001",
            "amount": "120.00",
            "currency": "USD",
            "paid_on": "2026-11-20",
            "source": "payment",
        }
    )


class ProjectMonthFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "syncapp.ProjectMonth"

    integration = factory.SubFactory(IntegrationFactory)
    harvest_project_id = factory.Sequence(lambda n: str(14300000 + n))
    project_name = factory.Sequence(lambda n: f"Project {n}")
    harvest_client_id = "5735001"
    client_name = "Acme Corporation"
    month = factory.LazyFunction(lambda: date(2026, 7, 1))
    currency = "USD"
    hours = Decimal("10.00")
    time_cost = Decimal("800.00")
    expense_cost = Decimal("50.00")
    revenue = Decimal("1500.00")


class BudgetAlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "syncapp.BudgetAlert"

    integration = factory.SubFactory(IntegrationFactory)
    harvest_project_id = factory.Sequence(lambda n: str(14400000 + n))
    project_name = factory.Sequence(lambda n: f"Project {n}")
    client_name = "Acme Corporation"
    budget_kind = "Hours (project budget), total"
    threshold = 75
    used = Decimal("76.00")
    budget = Decimal("100.00")
    percent = Decimal("76.0")
    unit = "hours"
    crossed_at = factory.LazyFunction(timezone.now)
