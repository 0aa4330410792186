"""CSV/XLSX import and export of the mappings, matched by natural key (never by database id).

The integration column holds the integration's name; each row is validated with the model's
own rules and against the Xero organisation's cached chart and tax rates, and nothing is
written unless every row is valid (see `mappings.resource_base`).
"""

from django.core.exceptions import ValidationError

from mappings.models import (
    AccountMapping,
    ContactMatchRule,
    CurrencyMapping,
    ExpenseCategoryMapping,
    TaxMapping,
    TrackingMapping,
)
from mappings.models.contacts import FieldOwner
from mappings.models.validators import harvest_id_validator
from mappings.resource_base import MappingResource
from mappings.widgets import ChoiceWidget
from syncapp.models import Integration


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


class ExpenseModeWidget(ChoiceWidget):
    """An expense mode by its label ("Reimbursable: a bill to the person who spent it"), the
    label's first words ("Company card") or its code (spend_money); empty, "default" or
    "Integration default" means the integration's mode."""

    DEFAULT_WORDS = {"default", "integration default"}

    def __init__(self):
        choices = Integration.ExpenseMode.choices
        super().__init__(choices, label="expense mode")
        self.labels = dict(choices)
        for code, text in choices:
            self.lookup.setdefault(text.split(":")[0].strip().casefold(), code)

    def clean(self, value, row=None, **kwargs):
        text = str(value if value is not None else "").strip()
        if text.casefold() in self.DEFAULT_WORDS:
            return ""
        try:
            return super().clean(value, row, **kwargs)
        except ValueError:
            allowed = ", ".join(f"'{label.split(':')[0]}'" for label in self.labels.values())
            raise ValueError(
                f"'{text}' is not an expense mode: use one of {allowed}, or leave it empty for "
                "the integration's mode."
            ) from None

    def render(self, value, obj=None, **kwargs):
        return self.labels.get(value, value or "")


CATEGORY_ID = "harvest_expense_category_id"
# Kept current from Harvest by the expenses run: exported for reading, never imported
# (a new row's name excepted, until the run meets the category).
HARVEST_OWNED = ("name", "unit_name", "unit_price")
KNOWN_NAMES_SHOWN = 8


class ExpenseCategoryMappingResource(MappingResource):
    """One row per Harvest expense category, found by its Harvest id or, with the id left
    empty, by its name (any letter case) among the integration's categories."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields["mode"].widget = ExpenseModeWidget()

    class Meta(MappingResource.Meta):
        model = ExpenseCategoryMapping
        import_id_fields = ("integration", CATEGORY_ID)
        fields = (
            *import_id_fields,
            "name",
            "unit_name",
            "unit_price",
            "account_code",
            "tax_type",
            "mode",
            "description",
        )
        export_order = fields

    def _required_columns(self) -> list[str]:
        return ["integration"]

    def get_bulk_update_fields(self):
        return [f for f in super().get_bulk_update_fields() if f not in HARVEST_OWNED]

    # --- finding the category ------------------------------------------------------------

    def before_import(self, dataset, **kwargs):
        self._categories, self._row_problem = {}, None
        super().before_import(dataset, **kwargs)

    def _categories_by_name(self, integration) -> dict[str, list]:
        if integration.pk not in self._categories:
            by_name = {}
            for row in ExpenseCategoryMapping.objects.filter(integration=integration).only(
                "name", CATEGORY_ID
            ):
                by_name.setdefault(row.name.strip().casefold(), []).append(row)
            self._categories[integration.pk] = by_name
        return self._categories[integration.pk]

    def _category_id(self, row, integration) -> str:
        given = self.fields[CATEGORY_ID].clean(row).strip()
        if given:
            return given
        name = str(row.get("name") or "").strip()
        if not name:
            raise ValueError("Give the category's Harvest id or its name (the name as in Harvest).")
        by_name = self._categories_by_name(integration)
        matches = by_name.get(name.casefold(), [])
        if len(matches) == 1:
            return matches[0].harvest_expense_category_id
        if matches:
            ids = " and ".join(m.harvest_expense_category_id for m in matches)
            raise ValueError(
                f"{integration.name} has more than one expense category named '{name}' "
                f"(Harvest ids {ids}): give the Harvest id in the {CATEGORY_ID} column."
            )
        raise ValueError(self._unknown_name(integration, name, by_name))

    @staticmethod
    def _unknown_name(integration, name, by_name) -> str:
        if not by_name:
            return (
                f"{integration.name} has no expense categories yet, so '{name}' cannot be "
                "found by name: run the expenses sync first, or give the category's Harvest "
                f"id in the {CATEGORY_ID} column to add it."
            )
        names = sorted(rows[0].name for rows in by_name.values())
        shown = ", ".join(names[:KNOWN_NAMES_SHOWN])
        more = len(names) - KNOWN_NAMES_SHOWN
        if more > 0:
            shown += f" (and {more} more)"
        return (
            f"{integration.name} has no expense category named '{name}'. Its categories: "
            f"{shown}. Check the spelling, or give the Harvest id in the {CATEGORY_ID} "
            "column to add a new one."
        )

    def _key_of_row(self, row):
        integration = self.fields["integration"].clean(row)
        return (integration.pk, self._category_id(row, integration))

    def before_import_row(self, row, row_number=None, **kwargs):
        super().before_import_row(row, row_number=row_number, **kwargs)
        self._row_problem = None
        try:
            integration = self.fields["integration"].clean(row)
        except ValueError:
            return  # the integration column reports its own problem
        try:
            row[CATEGORY_ID] = self._category_id(row, integration)
        except ValueError as error:
            self._row_problem = str(error)

    # --- reading the row -----------------------------------------------------------------

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        owned = field.attribute in HARVEST_OWNED
        if owned and (instance.pk is not None or field.attribute != "name"):
            return
        super().import_field(field, instance, row, is_m2m, **kwargs)

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if self._row_problem:
            errors.setdefault("name", []).append(ValidationError(self._row_problem))
        elif instance.pk is None:
            errors.update(self._new_row_problems(instance))
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def _new_row_problems(instance) -> dict:
        problems = {}
        try:
            harvest_id_validator(instance.harvest_expense_category_id)
        except ValidationError as error:
            problems[CATEGORY_ID] = [
                ValidationError(f"{error.messages[0]} Use the category's id from Harvest.")
            ]
        if not instance.name.strip():
            problems["name"] = [
                ValidationError(
                    "A new category needs its name as in Harvest; the expenses run keeps "
                    "it current."
                )
            ]
        return problems
