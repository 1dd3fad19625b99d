"""The web process: one Starlette app for the webhooks, the admin pages, /healthz, /metrics."""
