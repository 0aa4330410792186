"""Mappings › Expense categories: which Xero account, tax rate and mode each Harvest expense
category takes.

The expenses run adds a row per category it meets and keeps its name and unit current; finance
chooses the account (from the organisation's cached chart, by name), the tax rate and the mode.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html

from mappings import resources
from mappings.admin_base import MappingAdmin, MappingAdminForm
from mappings.models import ExpenseCategoryMapping
from mappings.models.validators import harvest_id_validator
from mappings.xero_codes import XeroCodes, xero_codes_for
from syncapp.models import Integration

NOT_MAPPED = "— Not mapped yet: its expenses wait —"
ACCOUNT_DEFAULT_TAX = "The account's default tax rate"


def integration_default_label(integration: Integration | None) -> str:
    if integration is None:
        return "Integration default"
    return f"Integration default ({integration.get_expense_mode_display()})"


class ExpenseCategoryForm(MappingAdminForm):
    """Accounts and tax rates offered by name from the organisation's cached chart; typed as
    codes when the chart has not been read yet (the warning says so)."""

    hx_next_step = {
        "account": "Choose one of its active accounts (the list is Xero's chart as last read).",
        "tax": "Choose one of its active tax rates, or the account's default.",
    }

    class Meta:
        model = ExpenseCategoryMapping
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        integration = self._integration()
        codes = xero_codes_for(integration=integration) if integration else None
        if "harvest_expense_category_id" in self.fields:
            field = self.fields["harvest_expense_category_id"]
            field.validators.append(harvest_id_validator)
            field.label = "Harvest category id"
            field.help_text = "The category's id in Harvest (held expenses link here with it)."
        if "account_code" in self.fields:
            self._account_field(codes)
        if "tax_type" in self.fields:
            self._tax_field(codes)
        if "mode" in self.fields:
            self.fields["mode"].help_text = "How this category's expenses reach Xero."
            self.fields["mode"].choices = [
                ("", integration_default_label(integration)),
                *Integration.ExpenseMode.choices,
            ]

    def _integration(self) -> Integration | None:
        if self.instance.pk:
            return self.instance.integration
        wanted = self.data.get(self.add_prefix("integration")) or self.initial.get("integration")
        if isinstance(wanted, Integration):
            return wanted
        if wanted and str(wanted).isdigit():
            return Integration.objects.filter(pk=wanted).first()
        only = list(Integration.objects.all()[:2])
        return only[0] if len(only) == 1 else None

    def _current(self, name: str) -> str:
        value = self.data.get(self.add_prefix(name)) if self.is_bound else None
        return str(value if value is not None else getattr(self.instance, name) or "")

    def _select(self, name: str, *, blank: str, choices, label) -> None:
        choices = [("", blank), *choices]
        current = self._current(name)
        if current and current not in {code for code, _ in choices}:
            # Shown as it is, so the page does not silently swap it for another choice.
            choices.append((current, f"{label(current)} (not active in Xero: choose another)"))
        self.fields[name].widget = forms.Select(choices=choices)

    def _account_field(self, codes: XeroCodes | None) -> None:
        field = self.fields["account_code"]
        field.label = "Xero account"
        if codes is None or not codes.cached:
            field.help_text = (
                codes.warning
                if codes
                else "Type the Xero account code; once saved, this page lists the "
                "organisation's accounts by name."
            )
            return
        self._select(
            "account_code",
            blank=NOT_MAPPED,
            choices=codes.account_choices(),
            label=codes.account_label,
        )
        field.help_text = f"{codes.organisation}'s active accounts, expense accounts first."

    def _tax_field(self, codes: XeroCodes | None) -> None:
        field = self.fields["tax_type"]
        field.label = "Xero tax rate"
        if codes is None or not codes.cached:
            field.help_text = "The Xero tax type, e.g. INPUT2; empty: the account's default."
            return
        self._select(
            "tax_type",
            blank=ACCOUNT_DEFAULT_TAX,
            choices=codes.tax_choices(),
            label=codes.tax_label,
        )
        field.help_text = f"{codes.organisation}'s active tax rates."

    def validate_unique(self):
        integration = self.cleaned_data.get("integration")
        category_id = self.cleaned_data.get("harvest_expense_category_id")
        if self.instance.pk is None and integration and category_id:
            existing = ExpenseCategoryMapping.objects.filter(
                integration=integration, harvest_expense_category_id=category_id
            ).first()
            if existing is not None:
                self.add_error(
                    "harvest_expense_category_id",
                    f"{integration.name} already has the Harvest category {category_id} "
                    f"({existing.name}): open that row in the list and edit it instead.",
                )
                return
        super().validate_unique()


class MappedFilter(admin.SimpleListFilter):
    title = "mapped to an account"
    parameter_name = "mapped"

    def lookups(self, request, model_admin):
        return (("no", "Not mapped"), ("yes", "Mapped"))

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(account_code="")
        if self.value() == "yes":
            return queryset.exclude(account_code="")
        return queryset


def unit_text(obj: ExpenseCategoryMapping) -> str:
    if obj.unit_price is None:
        return obj.unit_name or "—"
    price = obj.unit_price
    if price == price.quantize(Decimal("0.01")):
        price = price.quantize(Decimal("0.01"))
    else:
        price = price.normalize()
    return f"{price} per {obj.unit_name or 'unit'}"


@admin.register(ExpenseCategoryMapping)
class ExpenseCategoryMappingAdmin(MappingAdmin):
    form = ExpenseCategoryForm
    resource_classes = [resources.ExpenseCategoryMappingResource]
    list_display = ("name", "unit", "account", "tax_rate", "mode_shown", "is_active", "integration")
    list_filter = ("integration", MappedFilter, "mode", "is_active")
    search_fields = ("name", "harvest_expense_category_id", "account_code", "description")
    HARVEST_FIELDS = ("integration", "harvest_expense_category_id", "name", "unit", "is_active")

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            harvest = (
                "Give the category's Harvest id and its name as in Harvest; the expenses run "
                "fills in the rest."
            )
        else:
            harvest = "From Harvest: the expenses run keeps these current."
        return (
            ("Harvest", {"fields": self.HARVEST_FIELDS, "description": harvest}),
            ("Xero", {"fields": ("account_code", "tax_type", "mode", "description")}),
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ("unit", "is_active")
        return self.HARVEST_FIELDS

    def add_view(self, request, form_url="", extra_context=None):
        existing = self._row_asked_for(request)
        if existing is not None:
            messages.info(
                request,
                f"{existing.integration.name} already has the Harvest category "
                f"{existing.harvest_expense_category_id} ({existing.name}): map it here.",
            )
            app_label, model_name = self.get_model_info()
            return redirect(reverse(f"admin:{app_label}_{model_name}_change", args=[existing.pk]))
        return super().add_view(request, form_url, extra_context)

    def _row_asked_for(self, request) -> ExpenseCategoryMapping | None:
        """The row a prefilled link (?integration=…&harvest_expense_category_id=…) names, when
        the expenses run added it since the link was made."""
        integration = request.GET.get("integration", "")
        category_id = request.GET.get("harvest_expense_category_id", "")
        if request.method != "GET" or not (integration.isdigit() and category_id):
            return None
        return (
            ExpenseCategoryMapping.objects.select_related("integration")
            .filter(integration_id=integration, harvest_expense_category_id=category_id)
            .first()
        )

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        # One read of the cached chart per integration on the page, not one per row.
        codes_by_integration: dict[int, XeroCodes] = {}
        for obj in changelist.result_list:
            if obj.integration_id not in codes_by_integration:
                codes_by_integration[obj.integration_id] = xero_codes_for(
                    integration=obj.integration
                )
            obj.hx_codes = codes_by_integration[obj.integration_id]
        return changelist

    @admin.display(description="Unit")
    def unit(self, obj):
        if obj.pk is None:
            return "Filled in from Harvest by the next expenses run."
        return unit_text(obj)

    @admin.display(description="Xero account", ordering="account_code")
    def account(self, obj):
        if not obj.account_code:
            return format_html("<strong>{}</strong> {}", "Not mapped", "(its expenses wait)")
        codes = getattr(obj, "hx_codes", None)
        if codes is None:
            return obj.account_code
        problem = codes.problem(kind="account", code=obj.account_code)
        if problem:
            return format_html(
                "{} <strong>⚠ {}</strong>", codes.account_label(obj.account_code), problem
            )
        return codes.account_label(obj.account_code)

    @admin.display(description="Tax rate", ordering="tax_type")
    def tax_rate(self, obj):
        if not obj.tax_type:
            return "Account's default"
        codes = getattr(obj, "hx_codes", None)
        return codes.tax_label(obj.tax_type) if codes else obj.tax_type

    @admin.display(description="Mode", ordering="mode")
    def mode_shown(self, obj):
        if not obj.mode:
            return integration_default_label(obj.integration)
        return obj.get_mode_display()
