"""The inbox: stored, numbered notifications and live events to users' rooms."""
