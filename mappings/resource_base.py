"""The shared import machinery of the mapping resources.

Why it departs from django-import-export's defaults:
- The preview writes nothing and opens no transaction: on SQLite every atomic block takes the
  write lock at BEGIN (settings: transaction mode IMMEDIATE), so a preview inside one would
  block webhooks and runs for as long as it takes. Rows are validated in memory instead.
- Existing rows are read once, in one query, keyed by natural key (not one query per row), and
  uniqueness is checked in memory (two rows with the same key are refused, both named).
- On confirm, everything is validated first and only then written, with bulk inserts and
  updates in one short transaction: all or nothing, and the write lock held for well under a
  second even for 10,000 rows.
- Row numbers are the spreadsheet's (header = row 1), and codes are checked against the Xero
  organisation's cached chart of accounts and tax rates.
"""

from __future__ import annotations

from collections import defaultdict

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, IntegrityError, connections, transaction
from import_export import fields, resources
from import_export.results import Error, Result

from mappings.files import ImportFileError
from mappings.widgets import ChoiceWidget, IntegrationByNameWidget, YesNoWidget
from mappings.xero_codes import mapping_xero_problems, xero_codes_for


def _header_key(text: str) -> str:
    return "_".join(str(text).strip().casefold().replace("-", " ").split())


class MappingResource(resources.ModelResource):
    integration = fields.Field(
        attribute="integration", column_name="integration", widget=IntegrationByNameWidget()
    )

    class Meta:
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_bulk = True
        # We compare with our own snapshot of each row (no deepcopy per row) and show only
        # what changes, so the library's diff is not needed.
        skip_diff = True
        store_instance = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields["integration"].widget = IntegrationByNameWidget()
        for name, field in self.fields.items():
            model_field = self._model_field(name)
            if model_field is None:
                continue
            if model_field.choices and not model_field.is_relation:
                label = str(model_field.verbose_name)
                field.widget = ChoiceWidget(model_field.choices, label=label)
            elif model_field.get_internal_type() == "BooleanField":
                field.widget = YesNoWidget()

    def get_import_fields(self):
        # Asked for several times per row by the library; the answer never changes.
        if getattr(self, "_import_fields", None) is None:
            self._import_fields = super().get_import_fields()
        return self._import_fields

    def _model_field(self, name):
        try:
            return self._meta.model._meta.get_field(self.fields[name].attribute)
        except Exception:  # a computed column, not a model field
            return None

    # --- reading the file ----------------------------------------------------------------

    def _required_columns(self) -> list[str]:
        required = []
        for name in self.get_import_order():
            model_field = self._model_field(name)
            if model_field is not None and not model_field.blank and not model_field.has_default():
                required.append(name)
        return [self.fields[n].column_name for n in required]

    def _headers_check(self, dataset) -> None:
        known = {_header_key(f.column_name): f.column_name for f in self.get_import_fields()}
        for field in self.get_import_fields():
            model_field = self._model_field(field.column_name)
            if model_field is not None:
                known.setdefault(_header_key(model_field.verbose_name), field.column_name)
        headers, unknown = [], []
        for header in dataset.headers:
            column = known.get(_header_key(header))
            if column is None:
                unknown.append(str(header))
            headers.append(column or header)
        expected = ", ".join(f.column_name for f in self.get_import_fields())
        if unknown:
            raise ImportFileError(
                f"Unknown column(s): {', '.join(unknown)}. The columns are: {expected}."
            )
        repeated = sorted({h for h in headers if headers.count(h) > 1})
        if repeated:
            raise ImportFileError(f"The column(s) {', '.join(repeated)} appear more than once.")
        missing = [c for c in self._required_columns() if c not in headers]
        if missing:
            raise ImportFileError(
                f"Missing column(s): {', '.join(missing)}. The columns are: {expected}."
            )
        dataset.headers = headers
        # A key column left out of the file means "empty" (e.g. no project for a task rule).
        for name in self.get_import_id_fields():
            column = self.fields[name].column_name
            if column not in headers:
                dataset.append_col([""] * len(dataset), header=column)

    # --- natural keys --------------------------------------------------------------------

    def _key_of_row(self, row):
        values = []
        for name in self.get_import_id_fields():
            value = self.fields[name].clean(row)
            values.append(value.pk if name == "integration" else value)
        return tuple(values)

    def _key_of_instance(self, instance):
        return tuple(
            instance.integration_id if name == "integration" else getattr(instance, name)
            for name in self.get_import_id_fields()
        )

    def _key_label(self, row) -> str:
        return ", ".join(
            f"{name} {row.get(name) or '(empty)'}" for name in self.get_import_id_fields()
        )

    def before_import(self, dataset, **kwargs):
        self._row_keys = {}
        by_key = defaultdict(list)
        for index, values in enumerate(dataset, start=1):
            row = dict(zip(dataset.headers, values, strict=True))
            try:
                key = self._key_of_row(row)
            except Exception:  # noqa: BLE001, S112 - the row's own errors are reported on import
                continue
            self._row_keys[index] = key
            by_key[key].append(index)
        self._duplicates = {
            index: [self._row_numbers[i - 1] for i in indexes if i != index]
            for indexes in by_key.values()
            if len(indexes) > 1
            for index in indexes
        }
        integration_ids = {key[0] for key in by_key}
        existing = self._meta.model.objects.filter(
            integration_id__in=integration_ids
        ).select_related("integration")
        self._existing = {self._key_of_instance(obj): obj for obj in existing}
        self._codes = {}

    def before_import_row(self, row, row_number=None, **kwargs):
        self._current = row_number

    def get_instance(self, instance_loader, row):
        instance = self._existing.get(self._row_keys.get(self._current))
        if instance is not None:
            instance.hx_original = {
                f.attribute: f.get_value(instance) for f in self.get_import_fields()
            }
        return instance

    # --- validating a row ----------------------------------------------------------------

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        try:
            super().import_field(field, instance, row, is_m2m, **kwargs)
        except (ArithmeticError, TypeError):
            # Decimal("abc") raises InvalidOperation, which the library would show as a crash.
            raise ValueError(f"'{row.get(field.column_name)}' is not a number.") from None

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        others = self._duplicates.get(kwargs.get("row_number"))
        if others:
            rows = " and ".join(f"row {n}" for n in others)
            errors.setdefault(NON_FIELD_ERRORS, []).append(
                ValidationError(
                    f"The same mapping ({self._key_label(row)}) is also on {rows}: "
                    "keep only one of these rows."
                )
            )
        if errors:
            raise ValidationError(errors)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        before = getattr(instance, "hx_original", None)
        if import_validation_errors or before is None:
            return False
        instance.hx_changes = [
            (f.column_name, before[f.attribute], f.get_value(instance))
            for f in self.get_import_fields()
            if f.column_name in row and before[f.attribute] != f.get_value(instance)
        ]
        return not instance.hx_changes

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        try:
            # The integration was resolved by name already; uniqueness is the natural key,
            # checked above for the file and by loading existing rows by that key.
            instance.full_clean(
                exclude=[*errors, "integration"], validate_unique=False, validate_constraints=False
            )
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if instance.integration_id is not None:
            codes = self._codes_for(instance.integration)
            for name, message in mapping_xero_problems(instance=instance, codes=codes).items():
                errors.setdefault(name, []).append(ValidationError(message))
        if errors:
            raise ValidationError(errors)

    def _codes_for(self, integration):
        if integration.pk not in self._codes:
            self._codes[integration.pk] = xero_codes_for(integration=integration)
        return self._codes[integration.pk]

    def after_import_row(self, row, row_result, row_number=None, **kwargs):
        row_result.hx_number = self._row_numbers[row_number - 1]
        row_result.hx_changes = getattr(row_result.instance, "hx_changes", [])

    # --- writing -------------------------------------------------------------------------

    def bulk_create(self, *args, **kwargs):
        """Collected rows are written by `_write` once the whole file is known to be valid."""

    def bulk_update(self, *args, **kwargs):
        """See bulk_create."""

    def bulk_delete(self, *args, **kwargs):
        """Imports never delete mappings."""

    def after_import(self, dataset, result, **kwargs):
        """Nothing to do: ids are never imported, so sequences never need resetting."""

    def _insert_statement(self, instances, db) -> tuple[str, list]:
        model = self._meta.model
        columns = [f for f in model._meta.concrete_fields if f is not model._meta.pk]
        quote = db.ops.quote_name
        names = ", ".join(quote(c.column) for c in columns)
        marks = ", ".join(["%s"] * len(columns))
        # Only quoted model metadata is interpolated; every value is a parameter.
        sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES ({marks})"  # noqa: S608
        params = [
            [c.get_db_prep_save(c.pre_save(obj, add=True), db) for c in columns]
            for obj in instances
        ]
        return sql, params

    def _update_statement(self, instances, db) -> tuple[str, list]:
        model = self._meta.model
        names = [self.fields[n].attribute for n in self.get_bulk_update_fields()]
        columns = [model._meta.get_field(n) for n in [*names, "updated_at"]]
        quote = db.ops.quote_name
        assignments = ", ".join(f"{quote(c.column)} = %s" for c in columns)
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608 - as above
        params = [
            [c.get_db_prep_save(c.pre_save(obj, add=False), db) for c in columns] + [obj.pk]
            for obj in instances
        ]
        return sql, params

    def _write(self, result) -> None:
        """Statements and parameters are prepared first, so the transaction (and SQLite's write
        lock) lasts only as long as the database needs: Django's bulk_update builds a CASE
        expression per field and batch (20 s for 10,000 rows) and bulk_create compiles its SQL
        inside the transaction."""
        using = self.get_db_connection_name()
        db = connections[using]
        statements = [
            self._insert_statement(self.create_instances, db),
            self._update_statement(self.update_instances, db),
        ]
        try:
            with transaction.atomic(using=using), db.cursor() as cursor:
                for sql, params in statements:
                    if params:
                        cursor.executemany(sql, params)
        except (IntegrityError, DatabaseError) as error:
            result.append_base_error(
                Error(
                    ImportFileError(
                        "Nothing was imported: the mappings changed while the file was being "
                        f"checked ({error}). Upload the file again."
                    )
                )
            )

    def import_data(self, dataset, dry_run=False, raise_errors=False, **kwargs):
        self._row_numbers = getattr(dataset, "hx_row_numbers", None) or list(
            range(2, len(dataset) + 2)
        )
        self.create_instances, self.update_instances = [], []
        for widget in (f.widget for f in self.fields.values()):
            if isinstance(widget, IntegrationByNameWidget):
                widget.preload()
        try:
            self._headers_check(dataset)
        except ImportFileError as error:
            result = Result()
            result.append_base_error(Error(error))
            return result
        # The library wraps a dry run in a transaction it rolls back (SQLite's write lock for the
        # whole preview). Here nothing is written during the rows in any case (the bulk hooks
        # only collect), so the library always runs a "real" import without a transaction and
        # `_write` below is the only writer, and only on confirm.
        kwargs["use_transactions"] = False
        result = super().import_data(dataset, dry_run=False, raise_errors=raise_errors, **kwargs)
        for row in (*result.invalid_rows, *result.error_rows):
            row.number = self._row_numbers[row.number - 1]
        result.hx_warnings = sorted({c.warning for c in self._codes.values() if c.warning})
        if not dry_run and not result.has_errors() and not result.has_validation_errors():
            self._write(result)
        self.create_instances, self.update_instances = [], []
        return result
