"""The languages a person is spoken to in: English, Welsh (cy) and Polish (pl).

The data is beside the English: dialogs/language/<locale>/ (names, review status,
keywords and answer words), templates/messages/<locale>/ (what the assistant says)
and dialogs/safety/<locale>/ (risk rules). See docs/configuration.md, "Languages".
"""
