"""Slack app, scheduled jobs and the command line."""
