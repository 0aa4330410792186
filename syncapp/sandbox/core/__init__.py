"""Shared machinery of the sandbox simulators: clock, faults, rate limits, contract, store, HTTP."""
