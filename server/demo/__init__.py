"""Demo mode (--demo): seeded users, the demo ward and in-process simulated monitors. Drives the other domains."""
