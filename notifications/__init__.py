"""Notifications (issue 13): an outbox written in the transaction of the event that causes
it, sent by the worker as e-mail (SMTP) and to a project's group robot (企业微信, 钉钉, 飞书).

Domain code calls `notifications.events` inside its transaction; `notifications.sender` is
the worker's job; `notifications.settings` holds each user's address and choice of notices
and a project's webhook. This package imports core and projects only (never web/ or api/,
nor the domain areas that call it: it reads their objects by attribute)."""
