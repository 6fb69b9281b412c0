"""Post-commit Slack updates, shared by listeners and scheduler jobs: one module per feature,
each re-rendering from the database so a failed post can be retried."""
