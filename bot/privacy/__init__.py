"""Privacy on a shared phone: a PIN before the plan is shown (docs/privacy.md)."""
