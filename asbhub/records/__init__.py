"""The system of record: the Django apps that hold data (see docs/architecture.md)."""
