"""Use cases: one unit of work per call, frozen dataclasses out, no Slack."""
