"""Fadjma server: app factory, settings, database and lifecycle."""
