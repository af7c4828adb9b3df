"""Chat between people with a care relation (README "Chat between people")."""
