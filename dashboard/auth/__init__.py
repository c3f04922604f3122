"""Access control: accounts, wall-screen tokens, roles, the audit log, and their Flask wiring."""
