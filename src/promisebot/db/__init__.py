"""Persistence: ORM tables, queries and transactions."""
