"""Reference e-citizen portal of the fictional city of Lindenfield.

Kiosks talk to it in demo mode and in tests exactly as they would talk to a real
city's portal: over HTTP, with a device token, against data persisted in SQLite.
"""
