"""Harvest invoices -> Xero sales invoices (ACCREC) and credit notes, equal to the cent.

Pure parts (no I/O): money, tax, accounts, mapping, plan. I/O parts: context (loads mappings and
the Xero cache), apply (writes through the client and the ledger), runner (the engine's entry).
"""
