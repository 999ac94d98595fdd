"""The use cases, Slack-free and SQL-free: customer desk, handoff, reports, privacy."""
