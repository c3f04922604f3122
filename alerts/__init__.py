"""Alerts: rules over the KPI engine, their lifecycle, quiet hours, and the outbox that tells the contacts."""
