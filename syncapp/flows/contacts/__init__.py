"""Harvest clients -> Xero contacts (issue 6): matching, three-way merge both ways, conflicts.

Modules: `normalise` and `address` (pure text work), `matching` (pure candidate search),
`merge` (pure three-way merge), `plan` (pure: records + rules + ledger -> operations),
`apply` (performs them in batches of 50 and writes the ledger), `runner` (reads with cursors),
`links` (what other flows ask: the Xero contact of a Harvest client, or why it waits).
"""
