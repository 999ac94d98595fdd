"""The Slack adapter: a thin layer that parses payloads, calls the desk, and renders."""
