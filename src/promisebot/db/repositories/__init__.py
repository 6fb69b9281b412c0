"""Queries bound to a Session, one module per aggregate; they flush but never commit."""
