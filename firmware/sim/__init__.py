"""A fleet of virtual bedside devices speaking every transport the server accepts.

Each virtual device runs the firmware core's logic (firmware/core, mirrored in `core.py` and
`frames.py` and checked against the same vectors): an increasing seq, a bounded buffer that drops
the oldest with a counter, in-order replay with a window, reconnection with backoff and jitter,
the server's commands. `python -m firmware.sim --help` runs N of them against a server.
"""
