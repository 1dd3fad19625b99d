"""What concerns a person's record as a whole: NHS number, subject access export,
discharge, erasure and retention (docs/data-protection.md)."""
