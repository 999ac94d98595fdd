"""Fakes of the project's own ports, behaving like the real adapters (STYLE.md, habit 6)."""
