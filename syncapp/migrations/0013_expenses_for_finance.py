from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.utils import timezone


def finance_may_map_expense_categories(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    from syncapp.roles import finance_group_sync

    finance_group_sync(
        group_model=apps.get_model("auth", "Group"),
        permission_model=apps.get_model("auth", "Permission"),
    )


def existing_integrations_start_today(apps, schema_editor):
    # An upgraded install must not send years of old approved expenses as new bills: it starts
    # with what is spent from today (finance can move the date back on the integration).
    apps.get_model("syncapp", "Integration").objects.filter(expenses_from__isnull=True).update(
        expenses_from=timezone.now().date()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("syncapp", "0012_expense_policies"),
        ("mappings", "0004_account_mappings_without_expense_categories"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(finance_may_map_expense_categories, migrations.RunPython.noop),
        migrations.RunPython(existing_integrations_start_today, migrations.RunPython.noop),
    ]
