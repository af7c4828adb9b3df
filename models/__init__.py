"""Pydantic schemas, domain errors and storage documents."""
