"""Putting Logward into an Elastic stack and keeping it in step with the repository."""
