"""Demo wiring: the only product-side code that knows the Harvest and Xero sandbox.

- `sandbox_connect`: connect an Integration to a served sandbox through the real connection paths
  (`manage.py start`, `manage.py sandbox connect`).
- `sandbox_webhooks`: have a served sandbox send its signed Xero webhooks to this install.
- `sandbox_rig`: an in-process sandbox and an integration wired straight to it (benchmarks, tests).
- `bench/`: the benchmarks behind `manage.py bench NAME`.

Only these modules, `syncapp/sandbox/` itself and the `start`, `sandbox` and `bench` management
commands may import `syncapp.sandbox` or `syncapp.demo`
(tests/syncapp/test_no_sandbox_in_product.py checks it).
"""
