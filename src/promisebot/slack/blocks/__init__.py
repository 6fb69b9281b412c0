"""All Block Kit rendering: pure functions from service DTOs to messages and views."""
