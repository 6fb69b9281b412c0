"""The Slack adapter: Bolt app, listeners, Block Kit rendering, posting."""
