"""Load what the mapping reads (mappings, the Xero cache, policies) into plain data: a handful
of queries per run, never per invoice."""

from __future__ import annotations

from collections import defaultdict

from mappings.models import AccountMapping, CurrencyMapping, TaxMapping, TrackingMapping
from syncapp.flows.invoices.accounts import AccountRule, account_rules_index
from syncapp.flows.invoices.mapping import MappingContext
from syncapp.flows.invoices.tax import TaxRule, XeroRate
from syncapp.flows.xero_cache import XeroSettings
from syncapp.models import Integration

INVOICE_SCOPES = ("project_task", "task", "item_category", "project", "client")


def mapping_context_load(
    *, integration: Integration, settings: XeroSettings | None, harvest_url: str = ""
) -> MappingContext:
    rules = [
        AccountRule(
            scope=m.scope,
            account_code=m.account_code,
            item_code=m.item_code,
            project_id=m.harvest_project_id,
            task_id=m.harvest_task_id,
            client_id=m.harvest_client_id,
            item_category=m.harvest_item_category,
            rule_id=m.pk,
        )
        for m in AccountMapping.objects.filter(integration=integration, scope__in=INVOICE_SCOPES)
    ]
    currencies = list(CurrencyMapping.objects.filter(integration=integration))
    tracking: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for m in TrackingMapping.objects.filter(integration=integration):
        tracking[(m.scope, m.harvest_id)].append((m.tracking_category, m.tracking_option))
    return MappingContext(
        xero_status=integration.xero_invoice_status,
        numbering=integration.numbering_policy,
        number_prefix=integration.invoice_number_prefix,
        default_tax_type=integration.default_tax_type,
        accounts=account_rules_index(
            rules=rules,
            currency_accounts={
                c.xero_currency: c.sales_account_code for c in currencies if c.sales_account_code
            },
            default_code=integration.default_account_code,
        ),
        tax_rules=[
            TaxRule(m.applies, m.tax_percent, m.tax2_percent, m.xero_tax_type)
            for m in TaxMapping.objects.filter(integration=integration)
        ],
        tax_rates={
            t.get("TaxType"): XeroRate.from_cache(t)
            for t in (settings.tax_rates if settings else [])
        },
        tracking={key: tuple(value) for key, value in tracking.items()},
        currencies={c.harvest_currency: c.xero_currency for c in currencies},
        harvest_url=harvest_url,
    )
