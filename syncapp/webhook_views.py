"""The Xero webhook receiver: the one view reachable without logging in.

It answers within Xero's 5 seconds by doing only what must happen now: check the signature,
keep the new events, and hand them to a task (syncapp.flows.payments.webhooks).
"""

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from syncapp.flows.payments.webhooks import (
    webhook_body_parse,
    webhook_events_enqueue,
    webhook_events_store,
    webhook_signature_check,
)


@csrf_exempt  # Xero cannot send a CSRF token; the HMAC signature authenticates the body.
@require_POST
def xero_webhook(request):
    body = request.body
    check = webhook_signature_check(body=body, signature=request.headers.get("x-xero-signature"))
    if not check.valid:
        return HttpResponse(status=401)
    event_ids = webhook_events_store(payload=webhook_body_parse(body), check=check)
    if event_ids:
        webhook_events_enqueue(event_ids=event_ids)
    # Intent to receive and real deliveries alike: 200 with an empty body.
    return HttpResponse(status=200)
