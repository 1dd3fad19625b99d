"""The practitioner admin page: a Starlette sub-application mounted at /admin."""
