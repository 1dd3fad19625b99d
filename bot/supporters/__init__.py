"""Named supporters: people from the crisis plan who hold a copy of it (docs/privacy.md)."""
