"""Who may see what: accounts, roles, disclosure control and the audit log.

The dashboard and the command line decide what to show through this package and the
dashboard's data layer, never by hiding links alone.
"""
