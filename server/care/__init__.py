"""Care: access requests and grants, prescriptions, inventory, records, audit, care units."""
