"""Treatments: a patient's medication courses, intake reminders in their time zone, adherence."""
