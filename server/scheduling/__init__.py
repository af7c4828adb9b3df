"""Scheduling: doctors' slots, patients' appointments, reminders before them."""
