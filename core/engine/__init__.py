"""The replication engine: turns one master trade into sized, risk-checked follower orders (see DESIGN.md)."""
