"""Deterministic demo and scale data. Each domain app adds its part in ``keychannel/<app>/demo.py``."""
