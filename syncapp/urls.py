from django.urls import path

from syncapp import views

app_name = "syncapp"

urlpatterns = [
    path("runs/<int:run_id>/progress.json", views.run_progress, name="run-progress"),
]

# OAuth callbacks and the organisation/account picker (issue 4). The paths match the redirect
# URIs the sandbox apps register: Xero's with a trailing slash, Harvest's without.
from syncapp import oauth_views  # noqa: E402

urlpatterns += [
    path("oauth/xero/callback/", oauth_views.xero_callback, name="oauth-xero-callback"),
    path("oauth/harvest/callback", oauth_views.harvest_callback, name="oauth-harvest-callback"),
    path("oauth/<str:provider>/choose/", oauth_views.oauth_choose, name="oauth-choose"),
]

# Xero webhooks (issue 8): signed by Xero, so no login and no CSRF token.
from syncapp import webhook_views  # noqa: E402

urlpatterns += [path("webhooks/xero/", webhook_views.xero_webhook, name="xero-webhook")]
