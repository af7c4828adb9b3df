"""Accounts: users and the people lookups other modules need."""
