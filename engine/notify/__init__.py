"""Notifications: the outbox written with each change, the templates, the channels (in-app, email, SMS, group
robot), the worker that delivers at most once per channel, and the time-based reminders."""
