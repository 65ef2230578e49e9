"""Trigger handlers."""
