"""Fake upstream providers, one module each; see `common` for how a test starts and drives one."""
