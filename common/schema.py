"""Imports every module that declares tables, so `Base.metadata` is complete.

The table modules are named here by string so that `common` does not import the other
packages at module import time; only migrations and tests call this.
"""

from __future__ import annotations

import importlib

TABLE_MODULES = ("shop.tables", "bot.tables", "retention_model.tables", "common.account_tables", "retention_model.offers.tables",
                 "common.rate_limits")


def load_all_tables() -> None:
    for name in TABLE_MODULES:
        importlib.import_module(name)
