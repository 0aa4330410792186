"""Xero Accounting API client, OAuth2 (PKCE) and token refresh for hxsync."""
