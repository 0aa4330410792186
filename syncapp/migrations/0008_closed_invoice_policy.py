from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("syncapp", "0007_conflict_reason_wording"),
    ]

    operations = [
        migrations.AddField(
            model_name="integration",
            name="closed_invoice_policy",
            field=models.CharField(
                choices=[
                    ("flag", "Flag it for finance to decide"),
                    ("write_off", "Void it in Xero, or credit what is still due there"),
                ],
                default="flag",
                help_text="An invoice already in Xero that is then closed (written off) in "
                "Harvest. A closed invoice is never sent to Xero in the first place.",
                max_length=16,
            ),
        ),
    ]
