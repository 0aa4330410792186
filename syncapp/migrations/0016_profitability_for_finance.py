from django.contrib.auth.management import create_permissions
from django.db import migrations


def finance_may_see_profitability(apps, schema_editor):
    # The Finance group gains view permission on ProjectMonth (the profitability dashboard).
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    from syncapp.roles import finance_group_sync

    finance_group_sync(
        group_model=apps.get_model("auth", "Group"),
        permission_model=apps.get_model("auth", "Permission"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("syncapp", "0015_budgets"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(finance_may_see_profitability, migrations.RunPython.noop),
    ]
