"""What the import page shows: counts, then the rows that change or fail, never all 10,000."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from import_export.forms import ImportForm

from mappings.files import MAX_IMPORT_BYTES, MAX_IMPORT_ROWS

PREVIEW_LIMIT = 200


class MappingImportForm(ImportForm):
    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                f"This file is {upload.size / 1024 / 1024:.1f} MB; the limit is "
                f"{MAX_IMPORT_BYTES // 1024 // 1024} MB (about {MAX_IMPORT_ROWS:,} rows). "
                "Split it into smaller files."
            )
        if upload.size == 0:
            raise forms.ValidationError("The file is empty.")
        return upload


def _problems(row) -> list[str]:
    messages = []
    for name, errors in row.error_dict.items():
        prefix = "" if name == NON_FIELD_ERRORS else f"{name}: "
        messages.extend(f"{prefix}{message}" for message in errors)
    return messages


def _changed(row, resource) -> dict:
    if row.import_type == "new":
        values = []
        if resource is not None and row.instance is not None:
            for field in resource.get_import_fields():
                value = field.export(row.instance)
                if value not in ("", None):
                    values.append(f"{field.column_name}: {value}")
        return {"number": row.hx_number, "action": "New", "changes": [], "values": values}
    changes = [
        {"column": column, "before": before, "after": after}
        for column, before, after in row.hx_changes
    ]
    return {"number": row.hx_number, "action": "Update", "changes": changes, "values": []}


def import_preview(*, result, resource=None, limit: int = PREVIEW_LIMIT) -> dict:
    failed = [
        {"number": row.number, "problems": _problems(row), "values": list(row.values)}
        for row in result.invalid_rows
    ] + [
        {"number": row.number, "problems": [str(e.error) for e in row.errors], "values": []}
        for row in result.error_rows
    ]
    failed.sort(key=lambda entry: entry["number"])
    changed_rows = [row for row in result.rows if row.import_type in ("new", "update")]
    totals = result.totals
    return {
        "file_errors": [str(e.error) for e in result.base_errors],
        "warnings": getattr(result, "hx_warnings", []),
        "totals": {
            "rows": result.total_rows,
            "new": totals.get("new", 0),
            "update": totals.get("update", 0),
            "skip": totals.get("skip", 0),
            "invalid": len(failed),
        },
        "invalid": failed[:limit],
        "invalid_hidden": max(0, len(failed) - limit),
        "changed": [_changed(row, resource) for row in changed_rows[:limit]],
        "changed_hidden": max(0, len(changed_rows) - limit),
        "limit": limit,
    }
