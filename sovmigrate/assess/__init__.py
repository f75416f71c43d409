"""Readiness rules, software catalogue and dependency cartography of a fleet."""
