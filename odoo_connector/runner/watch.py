"""Placeholder until the runner lands: ``watch`` is not implemented yet."""

from __future__ import annotations

from typing import Any

from ..errors import InputError


def run_watch(key: str, connection: Any, inputs: Any, *, interval: float, state_path: str | None,
              webhook: str | None, max_polls: int | None) -> int:
    raise InputError("odoo-connector watch is not available yet; use odoo-connector poll with --state.")
