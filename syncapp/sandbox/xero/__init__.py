"""The Xero side of the sandbox: Accounting API, identity (OAuth 2.0 + /connections), webhooks.

Entry points for the rest of the project:
- `app.XeroSimulator(state, *, clock, faults, limiter, validator)`: the WSGI app (with `handle`),
  mounted by `core/app.py` under `/api.xero.com`, `/identity.xero.com`, `/login.xero.com` and
  `/_sandbox/xero`.
- `state.XeroState`: the picklable state; `seed.seed_xero(state, *, seed, harvest, today)`.
- `identity.token_mint(...)`: ready credentials; `seed.PKCE_CLIENT_ID`, `control.DEFAULT_CLIENT_ID`.
- `control.xero_invoice_pay(...)`: pay an invoice as finance would (queues the invoice webhook;
  through the HTTP control route the delivery happens at once).
- `webhooks.webhook_configure / webhook_add_hook / webhook_intent_to_receive / webhook_flush /
  webhook_replay / webhook_sign`.

Modules: formats (wire formats), money (line arithmetic), where (filters), lookups (settings
checks), lines, doc_kinds/doc_rules/documents (invoices, credit notes), contacts, payments,
ledger (manual journals, bank transactions), serialize, http/batch (request plumbing), routes_*
(endpoints), identity/identity_routes, webhooks, events, control, seed.
"""
