from django.contrib import admin

from mappings import resources
from mappings.admin_base import MappingAdmin
from mappings.models import (
    AccountMapping,
    ContactMatchRule,
    CurrencyMapping,
    TaxMapping,
    TrackingMapping,
)


@admin.register(AccountMapping)
class AccountMappingAdmin(MappingAdmin):
    resource_classes = [resources.AccountMappingResource]
    list_display = (
        "scope",
        "harvest_project_id",
        "harvest_task_id",
        "harvest_client_id",
        "harvest_item_category",
        "account_code",
        "item_code",
        "description",
        "integration",
    )
    list_filter = ("integration", "scope")
    search_fields = (
        "account_code",
        "item_code",
        "description",
        "harvest_project_id",
        "harvest_task_id",
        "harvest_client_id",
        "harvest_item_category",
    )
    fieldsets = (
        (None, {"fields": ("integration", "scope", "description")}),
        (
            "Harvest (fill only what the scope needs)",
            {
                "fields": (
                    "harvest_project_id",
                    "harvest_task_id",
                    "harvest_client_id",
                    "harvest_item_category",
                )
            },
        ),
        ("Xero", {"fields": ("account_code", "item_code")}),
    )


@admin.register(TaxMapping)
class TaxMappingAdmin(MappingAdmin):
    resource_classes = [resources.TaxMappingResource]
    list_display = (
        "applies",
        "tax_percent",
        "tax2_percent",
        "xero_tax_type",
        "description",
        "integration",
    )
    list_filter = ("integration", "applies")
    search_fields = ("xero_tax_type", "description")


@admin.register(TrackingMapping)
class TrackingMappingAdmin(MappingAdmin):
    resource_classes = [resources.TrackingMappingResource]
    list_display = (
        "scope",
        "harvest_id",
        "tracking_category",
        "tracking_option",
        "description",
        "integration",
    )
    list_filter = ("integration", "scope", "tracking_category")
    search_fields = ("harvest_id", "tracking_category", "tracking_option", "description")


@admin.register(CurrencyMapping)
class CurrencyMappingAdmin(MappingAdmin):
    resource_classes = [resources.CurrencyMappingResource]
    list_display = (
        "harvest_currency",
        "xero_currency",
        "sales_account_code",
        "clearing_account_code",
        "integration",
    )
    search_fields = ("harvest_currency", "xero_currency")


@admin.register(ContactMatchRule)
class ContactMatchRuleAdmin(MappingAdmin):
    resource_classes = [resources.ContactMatchRuleResource]
    list_display = (
        "integration",
        "match_on_reference",
        "match_on_email",
        "match_on_name",
        "auto_link",
    )
    fieldsets = (
        (None, {"fields": ("integration",)}),
        (
            "Matching",
            {
                "fields": (
                    "match_on_reference",
                    "match_on_email",
                    "match_on_name",
                    "name_similarity_threshold",
                    "auto_link",
                )
            },
        ),
        (
            "When a field changed on both sides",
            {
                "description": (
                    "A field changed in Harvest only, or in Xero only, always reaches the other "
                    "side. Changed differently on both sides since the last sync, it waits for "
                    "finance in contact review (Ask finance when both changed), unless you choose "
                    "Harvest wins or Xero wins here. The value that gives way is kept in the "
                    "run's events."
                ),
                "fields": (
                    "owner_name",
                    "owner_email",
                    "owner_address",
                    "owner_currency",
                    "owner_contact_person",
                ),
            },
        ),
    )


# Registered in its own module (it builds on MappingAdmin above, hence the late import).

# Registered in its own module (it is long); imported here so the admin finds it.
from mappings import expense_admin  # noqa: E402, F401
