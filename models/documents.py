"""Collection names: the stored documents' catalogue, shared by the owner and its readers.

Each collection is written by one owner module (tests/test_house.py holds the table);
readers import the name from here, so a reader never needs to import the owner.
"""

USERS = "users"
GRANTS = "grants"
CARE_UNITS = "care_units"
DEVICES = "devices"
ALERTS = "alerts"
# -- scheduling and treatments (server/scheduling, server/treatments) --
SLOTS, APPOINTMENTS = "slots", "appointments"
TREATMENTS, INTAKES = "treatments", "treatment_intakes"
