"""Every admin page answers as it should for a superuser and for Finance, and shows no secret."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

OBJECT_FACTORIES = {
    "syncapp.integration": factories.IntegrationFactory,
    "syncapp.connection": factories.ConnectionFactory,
    "syncapp.synclink": factories.SyncLinkFactory,
    "syncapp.syncrun": factories.SyncRunFactory,
    "syncapp.syncevent": factories.SyncEventFactory,
    "syncapp.conflict": factories.ConflictFactory,
    "syncapp.cursor": factories.CursorFactory,
    "syncapp.webhookevent": factories.WebhookEventFactory,
    "syncapp.paymentledgerentry": factories.PaymentLedgerEntryFactory,
    "syncapp.projectmonth": factories.ProjectMonthFactory,
    "syncapp.budgetalert": factories.BudgetAlertFactory,
    "mappings.accountmapping": factories.AccountMappingFactory,
    "mappings.taxmapping": factories.TaxMappingFactory,
    "mappings.trackingmapping": factories.TrackingMappingFactory,
    "mappings.currencymapping": factories.CurrencyMappingFactory,
    "mappings.contactmatchrule": factories.ContactMatchRuleFactory,
    "mappings.expensecategorymapping": factories.ExpenseCategoryMappingFactory,
}

# What Finance may do, page by page: (changelist, add, change) status codes.
FINANCE_EXPECTED = {
    "syncapp.integration": (200, 403, 200),
    "syncapp.connection": (200, 403, 200),
    "syncapp.synclink": (200, 403, 200),
    "syncapp.syncrun": (200, 403, 200),
    "syncapp.syncevent": (200, 403, 200),
    "syncapp.conflict": (200, 403, 200),
    "syncapp.cursor": (200, 403, 200),
    "syncapp.webhookevent": (200, 403, 200),
    "syncapp.paymentledgerentry": (200, 403, 200),
    "syncapp.projectmonth": (200, 403, 200),
    "syncapp.budgetalert": (200, 403, 200),
    **{
        f"mappings.{m}": (200, 200, 200)
        for m in (
            "accountmapping",
            "taxmapping",
            "trackingmapping",
            "currencymapping",
            "contactmatchrule",
            "expensecategorymapping",
        )
    },
}


def registered_models():
    return sorted(admin.site._registry, key=lambda m: m._meta.label_lower)


def model_urls(model, obj):
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    urls = {"changelist": reverse(f"{prefix}_changelist"), "add": reverse(f"{prefix}_add")}
    if obj is not None:
        urls["change"] = reverse(f"{prefix}_change", args=[obj.pk])
        urls["history"] = reverse(f"{prefix}_history", args=[obj.pk])
    return urls


def make_object(model):
    factory = OBJECT_FACTORIES.get(model._meta.label_lower)
    return factory() if factory else None


def assert_no_secret(response, url):
    body = response.content.decode()
    for secret in factories.SECRETS:
        assert secret not in body, f"{url} shows a secret"


def test_every_registered_model_has_a_factory_or_is_third_party():
    ours = {
        m._meta.label_lower
        for m in registered_models()
        if m._meta.app_label in ("syncapp", "mappings")
    }
    assert ours == set(OBJECT_FACTORIES)


@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m._meta.label_lower)
def test_superuser_sees_every_page(client, admin_user, model):
    factories.ConnectionFactory()  # a secret exists somewhere in the database
    obj = make_object(model)
    client.force_login(admin_user)
    model_admin = admin.site._registry[model]
    for name, url in model_urls(model, obj).items():
        response = client.get(url)
        expected = 200
        if name == "add" and not model_admin.has_add_permission(_request(admin_user)):
            expected = 403
        assert response.status_code == expected, f"{url}: {response.status_code}"
        assert_no_secret(response, url)


@pytest.mark.parametrize("label", sorted(FINANCE_EXPECTED))
def test_finance_user_gets_the_right_answer(client, label):
    from django.apps import apps

    model = apps.get_model(label)
    factories.ConnectionFactory()
    obj = make_object(model)
    user = factories.UserFactory(username="fiona", finance=True)
    client.force_login(user)
    changelist, add, change = FINANCE_EXPECTED[label]
    urls = model_urls(model, obj)
    for name, expected in (("changelist", changelist), ("add", add), ("change", change)):
        response = client.get(urls[name])
        assert response.status_code == expected, f"{urls[name]}: {response.status_code}"
        assert_no_secret(response, urls[name])


def test_finance_cannot_reach_users_groups_or_task_queue(client):
    client.force_login(factories.UserFactory(username="fiona", finance=True))
    for url in ("/admin/auth/user/", "/admin/auth/group/", "/admin/django_q/schedule/"):
        assert client.get(url).status_code == 403


def test_finance_cannot_change_a_connection(client):
    connection = factories.ConnectionFactory()
    client.force_login(factories.UserFactory(username="fiona", finance=True))
    url = reverse("admin:syncapp_connection_change", args=[connection.pk])
    response = client.post(url, {"base_url": "https://evil.example"})
    assert response.status_code == 403
    connection.refresh_from_db()
    assert connection.base_url == ""


def test_connection_change_history_records_no_secret(client, admin_user):
    connection = factories.ConnectionFactory()
    client.force_login(admin_user)
    url = reverse("admin:syncapp_connection_change", args=[connection.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "set" in page.content.decode()
    history = client.get(reverse("admin:syncapp_connection_history", args=[connection.pk]))
    assert_no_secret(history, "history")


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request
