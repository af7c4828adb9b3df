"""FHIR R4 facade: vital signs as Observations, patients as Patients, alerts as DetectedIssues.

Pure mapping (`resources`), search parameters (`search`), the CapabilityStatement
(`capability`) and the service the handler calls (`service`), which reads vitals only through
server.iot.history, accounts through server.accounts.users and alerts through
server.alerting.store, and authorises through rooms.access.
"""
