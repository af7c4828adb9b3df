"""Authentication: passwords and tokens."""
