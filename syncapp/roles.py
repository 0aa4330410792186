"""The Finance role: edits mappings, resolves conflicts, triggers syncs; never sees secrets.

Connection rows are visible to Finance for their status only; the admin never renders a secret
to anyone, and Finance cannot add, change or delete a connection.
"""

FINANCE_GROUP = "Finance"

MAPPING_MODELS = (
    "accountmapping",
    "taxmapping",
    "trackingmapping",
    "currencymapping",
    "contactmatchrule",
)

FINANCE_PERMISSIONS = (
    *(
        f"mappings.{action}_{model}"
        for model in MAPPING_MODELS
        for action in ("view", "add", "change", "delete")
    ),
    "syncapp.view_integration",
    "syncapp.trigger_sync",
    "syncapp.view_connection",
    "syncapp.view_synclink",
    "syncapp.view_syncrun",
    "syncapp.view_syncevent",
    "syncapp.view_conflict",
    "syncapp.change_conflict",
    "syncapp.view_cursor",
    "syncapp.view_webhookevent",
)


def finance_group_sync(*, group_model, permission_model):
    """Create or update the Finance group with exactly FINANCE_PERMISSIONS."""
    group, _ = group_model.objects.get_or_create(name=FINANCE_GROUP)
    wanted = []
    for dotted in FINANCE_PERMISSIONS:
        app_label, codename = dotted.split(".")
        wanted.append(
            permission_model.objects.get(content_type__app_label=app_label, codename=codename)
        )
    group.permissions.set(wanted)
    return group
