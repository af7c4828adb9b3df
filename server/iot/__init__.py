"""IoT: devices, their transports, and the ingest pipeline of vital signs."""
