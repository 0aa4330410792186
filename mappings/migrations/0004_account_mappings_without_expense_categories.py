"""Expense categories leave AccountMapping for ExpenseCategoryMapping (account, tax rate, mode).

Rows of the old "expense_category" scope move over with their account code and description;
the category's name is not known here, so it reads "Harvest category <id>" until the expenses
flow next meets the category in Harvest and renames it.
"""

from django.db import migrations, models

OLD_SCOPE = "expense_category"


def expense_category_rows_move(apps, schema_editor):
    AccountMapping = apps.get_model("mappings", "AccountMapping")
    ExpenseCategoryMapping = apps.get_model("mappings", "ExpenseCategoryMapping")
    old_rows = AccountMapping.objects.filter(scope=OLD_SCOPE).exclude(
        harvest_expense_category_id=""
    )
    for old in old_rows.order_by("pk"):
        category_id = old.harvest_expense_category_id
        row, created = ExpenseCategoryMapping.objects.get_or_create(
            integration_id=old.integration_id,
            harvest_expense_category_id=category_id,
            defaults={
                "name": f"Harvest category {category_id}",
                "account_code": old.account_code,
                "description": old.description,
            },
        )
        # A row the expenses flow already added keeps finance's choice if it has one.
        if not created and not row.account_code:
            row.account_code = old.account_code
            row.save(update_fields=["account_code"])
    AccountMapping.objects.filter(scope=OLD_SCOPE).delete()


def expense_category_rows_restore(apps, schema_editor):
    """Going back: each mapped category becomes an account rule of the old scope again."""
    AccountMapping = apps.get_model("mappings", "AccountMapping")
    ExpenseCategoryMapping = apps.get_model("mappings", "ExpenseCategoryMapping")
    for row in ExpenseCategoryMapping.objects.exclude(account_code="").order_by("pk"):
        AccountMapping.objects.get_or_create(
            integration_id=row.integration_id,
            scope=OLD_SCOPE,
            harvest_expense_category_id=row.harvest_expense_category_id,
            defaults={"account_code": row.account_code, "description": row.description},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("mappings", "0003_expense_categories"),
        ("syncapp", "0012_expense_policies"),
    ]

    operations = [
        migrations.RunPython(expense_category_rows_move, expense_category_rows_restore),
        migrations.RemoveConstraint(
            model_name="accountmapping",
            name="accountmapping_natural_key",
        ),
        migrations.RemoveField(
            model_name="accountmapping",
            name="harvest_expense_category_id",
        ),
        migrations.AlterField(
            model_name="accountmapping",
            name="scope",
            field=models.CharField(
                choices=[
                    ("project_task", "Project + task"),
                    ("task", "Task"),
                    ("item_category", "Invoice item category"),
                    ("project", "Project"),
                    ("client", "Client"),
                ],
                max_length=20,
            ),
        ),
        migrations.AddConstraint(
            model_name="accountmapping",
            constraint=models.UniqueConstraint(
                fields=(
                    "integration",
                    "scope",
                    "harvest_project_id",
                    "harvest_task_id",
                    "harvest_client_id",
                    "harvest_item_category",
                ),
                name="accountmapping_natural_key",
            ),
        ),
    ]
