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
    "expensecategorymapping",
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
    "syncapp.view_projectmonth",
    "syncapp.view_budgetalert",
)


def finance_group_sync(*, group_model, permission_model):
    """Create or update the Finance group with FINANCE_PERMISSIONS. A migration runs this with
    the models of its time: permissions of models added later are given by the later migration
    that runs it again (0013 for expense categories)."""
    group, _ = group_model.objects.get_or_create(name=FINANCE_GROUP)
    wanted = []
    for dotted in FINANCE_PERMISSIONS:
        app_label, codename = dotted.split(".")
        found = permission_model.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if found is not None:
            wanted.append(found)
    group.permissions.set(wanted)
    return group
