"""HTTP: middleware (errors, authentication, body and response helpers)."""
