"""Harvest clients <-> Xero contacts (issue 6): matching, three-way merge both ways, conflicts.

Pure: `normalise` and `address` (text work), `records` (the two sides as values), `matching`
(candidate search), `merge` (three-way merge), `plan` (records + rules + ledger -> operations).
I/O: `apply` (batches of 50 through the ledger protocol) with `conflicts` (the run's review
queue), `runner` (cursors, reads, plan, apply), `schedule` (the periodic poll), and `links`
(what other flows ask: the Xero contact of a Harvest client, or why its invoices wait).
"""
