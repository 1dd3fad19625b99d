"""Co-production: the team suggests and the person decides; overrides are marked and
can be undone; after each appointment, a short touchpoint closes the loop.

See docs/coproduction.md."""
