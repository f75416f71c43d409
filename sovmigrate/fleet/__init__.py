"""Inventory importers (GLPI native JSON, CSV) producing one Machine model."""
