"""CSV/XLSX import and export of the mappings, matched by natural key (never by database id).

The integration column holds the integration's name; each row is validated with the model's
own rules and against the Xero organisation's cached chart and tax rates, and nothing is
written unless every row is valid (see `mappings.resource_base`).
"""

from mappings.models import (
    AccountMapping,
    ContactMatchRule,
    CurrencyMapping,
    TaxMapping,
    TrackingMapping,
)
from mappings.models.contacts import FieldOwner
from mappings.resource_base import MappingResource
from mappings.widgets import ChoiceWidget


class AccountMappingResource(MappingResource):
    class Meta(MappingResource.Meta):
        model = AccountMapping
        import_id_fields = (
            "integration",
            "scope",
            "harvest_project_id",
            "harvest_task_id",
            "harvest_client_id",
            "harvest_item_category",
            "harvest_expense_category_id",
        )
        fields = (*import_id_fields, "account_code", "item_code", "description")
        export_order = fields


class TaxMappingResource(MappingResource):
    class Meta(MappingResource.Meta):
        model = TaxMapping
        import_id_fields = ("integration", "applies", "tax_percent", "tax2_percent")
        fields = (*import_id_fields, "xero_tax_type", "description")
        export_order = fields


class TrackingMappingResource(MappingResource):
    class Meta(MappingResource.Meta):
        model = TrackingMapping
        import_id_fields = ("integration", "scope", "harvest_id", "tracking_category")
        fields = (*import_id_fields, "tracking_option", "description")
        export_order = fields


class CurrencyMappingResource(MappingResource):
    class Meta(MappingResource.Meta):
        model = CurrencyMapping
        import_id_fields = ("integration", "harvest_currency")
        fields = (*import_id_fields, "xero_currency", "sales_account_code", "clearing_account_code")
        export_order = fields


class FieldOwnerWidget(ChoiceWidget):
    """Who wins a field, read and written as finance says it ("Harvest wins", "Xero wins",
    "Ask finance when both changed"); the codes (harvest, xero, review) are read too."""

    def __init__(self):
        super().__init__(FieldOwner.choices, label="field owner")
        self.labels = dict(FieldOwner.choices)

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except ValueError:
            allowed = ", ".join(f"'{label}'" for label in self.labels.values())
            raise ValueError(f"'{value}' is not a field owner: use one of {allowed}.") from None

    def render(self, value, obj=None, **kwargs):
        return self.labels.get(value, value or "")


OWNER_FIELDS = (
    "owner_name",
    "owner_email",
    "owner_address",
    "owner_currency",
    "owner_contact_person",
)


class ContactMatchRuleResource(MappingResource):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        for name in OWNER_FIELDS:
            self.fields[name].widget = FieldOwnerWidget()

    class Meta(MappingResource.Meta):
        model = ContactMatchRule
        import_id_fields = ("integration",)
        fields = (
            "integration",
            "match_on_reference",
            "match_on_email",
            "match_on_name",
            "auto_link",
            "name_similarity_threshold",
            *OWNER_FIELDS,
        )
        export_order = fields
