"""The risk screen (see screen.py); the names other modules use."""

from bot.safety.phrasebook import RiskMatch
from bot.safety.screen import DEFAULT_PHRASES, RiskScreen, normalise

__all__ = ["DEFAULT_PHRASES", "RiskMatch", "RiskScreen", "normalise"]
