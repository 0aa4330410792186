"""The payments lease: one writer per integration at a time; a dead holder's lease expires."""

from datetime import timedelta

import pytest
from django.utils import timezone

from syncapp.flows.payments.ledger import LEASE_STREAM, lease_acquire, lease_release
from syncapp.models import Cursor
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db


def test_second_holder_waits_until_release_or_expiry():
    integration = IntegrationFactory()
    assert lease_acquire(integration=integration, holder="run-1")
    assert lease_acquire(integration=integration, holder="run-1")  # renewal
    assert not lease_acquire(integration=integration, holder="run-2", wait_seconds=0.1)
    lease_release(integration=integration, holder="run-2")  # not the holder: no effect
    assert not lease_acquire(integration=integration, holder="run-2")
    lease_release(integration=integration, holder="run-1")
    assert lease_acquire(integration=integration, holder="run-2")
    # run-2 dies without releasing: after the lease time anyone may take it.
    Cursor.objects.filter(stream=LEASE_STREAM).update(
        updated_at=timezone.now() - timedelta(minutes=6)
    )
    assert lease_acquire(integration=integration, holder="run-3")


def test_leases_are_per_integration():
    first, second = IntegrationFactory(), IntegrationFactory()
    assert lease_acquire(integration=first, holder="run-1")
    assert lease_acquire(integration=second, holder="run-2")
