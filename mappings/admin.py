from django.contrib import admin
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV, XLSX

from mappings import resources
from mappings.models import (
    AccountMapping,
    ContactMatchRule,
    CurrencyMapping,
    TaxMapping,
    TrackingMapping,
)


class MappingAdmin(ImportExportModelAdmin):
    # Finance exchanges mappings as spreadsheets: offer exactly the two formats they use.
    formats = [CSV, XLSX]
    list_select_related = ("integration",)
    list_filter = ("integration",)


@admin.register(AccountMapping)
class AccountMappingAdmin(MappingAdmin):
    resource_classes = [resources.AccountMappingResource]
    list_display = (
        "scope",
        "harvest_project_id",
        "harvest_task_id",
        "harvest_client_id",
        "harvest_item_category",
        "harvest_expense_category_id",
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
                    "harvest_expense_category_id",
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
            "Who owns each field after linking",
            {
                "fields": (
                    "owner_name",
                    "owner_email",
                    "owner_address",
                    "owner_currency",
                    "owner_contact_person",
                )
            },
        ),
    )
