"""Alerting: rules, NEWS2, the alert engine, escalation and unit summaries. Reads iot, no other domain."""
