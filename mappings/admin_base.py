"""What every mapping's admin shares: Xero codes checked against the organisation, CSV/XLSX
import and export with a preview, one log entry per import."""

from django import forms
from django.contrib import messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from import_export.admin import ImportExportModelAdmin

from mappings.files import ImportFileError, MappingCSV, MappingXLSX
from mappings.import_preview import MappingImportForm, import_preview
from mappings.xero_codes import XERO_CODE_FIELDS, xero_codes_for


class MappingAdminForm(forms.ModelForm):
    """Refuses Xero codes the organisation does not have, as the import does."""

    hx_warning = ""
    # What to do about a refused code, by kind ("account", "tax"), added to the message.
    hx_next_step: dict[str, str] = {}

    def clean(self):
        cleaned = super().clean()
        integration = cleaned.get("integration")
        if integration is None and self.instance.integration_id:
            integration = self.instance.integration  # read-only on this form
        code_fields = XERO_CODE_FIELDS.get(self._meta.model, {})
        if integration is None or not code_fields:
            return cleaned
        codes = xero_codes_for(integration=integration)
        self.hx_warning = codes.warning
        for name, kind in code_fields.items():
            message = codes.problem(kind=kind, code=cleaned.get(name) or "")
            if message and name not in self.errors:
                text = message[0].upper() + message[1:] + "."
                self.add_error(name, " ".join(filter(None, [text, self.hx_next_step.get(kind)])))
        return cleaned


class MappingAdmin(ImportExportModelAdmin):
    # Finance exchanges mappings as spreadsheets: offer exactly the two formats they use.
    formats = [MappingCSV, MappingXLSX]
    form = MappingAdminForm
    import_form_class = MappingImportForm
    import_template_name = "admin/mappings/import.html"
    list_select_related = ("integration",)
    list_filter = ("integration",)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if getattr(form, "hx_warning", ""):
            messages.warning(request, form.hx_warning)

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, ImportFileError):
            form.add_error("import_file", str(e))
        else:
            form.add_error(
                "import_file",
                "This file could not be read. Check that the format chosen below matches the "
                "file (CSV or XLSX) and that it is a spreadsheet.",
            )

    def _preview(self, request, result):
        resource = self.get_import_resource_classes(request)[0]()
        return import_preview(result=result, resource=resource)

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        result = response.context_data.get("result")
        if result is not None:
            response.context_data["hx_preview"] = self._preview(request, result)
        return response

    def process_import(self, request, **kwargs):
        try:
            return super().process_import(request, **kwargs)
        except (ImportFileError, OSError):
            messages.error(
                request, "The uploaded file is no longer available: upload it again, please."
            )
            app_label, model_name = self.get_model_info()
            return redirect(reverse(f"admin:{app_label}_{model_name}_import"))

    def generate_log_entries(self, result, request):
        # One entry per import: one per row would be 10,000 inserts in one more transaction
        # (SQLite's write lock again) and bury the rest of the history.
        if self.get_skip_admin_log():
            return
        totals = result.totals
        LogEntry.objects.create(
            user_id=request.user.pk,
            content_type=ContentType.objects.get_for_model(self.model),
            object_repr=f"Import of {self.model._meta.verbose_name_plural}"[:200],
            action_flag=CHANGE,
            change_message=(
                f"Imported a file: {totals['new']} new, {totals['update']} updated, "
                f"{totals['skip']} unchanged."
            ),
        )

    def process_result(self, result, request):
        if not (result.has_errors() or result.has_validation_errors()):
            return super().process_result(result, request)
        context = {
            **self.admin_site.each_context(request),
            "title": "Import",
            "opts": self.model._meta,
            "form": self.get_import_form_class(request)(
                self.get_import_formats(), self.get_import_resource_classes(request)
            ),
            "result": result,
            "hx_preview": self._preview(request, result),
        }
        return TemplateResponse(request, [self.import_template_name], context)
