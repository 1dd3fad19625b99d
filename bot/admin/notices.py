"""The one-line notices a page shows after an action (`?done=<key>`): fixed sentences,
so a link can't put words on the page."""

from __future__ import annotations

NOTICES = {
    "signed_out": "You have signed out.",
    "expired": "You were signed out because the page was left for a while. Sign in again.",
    "throttled": "Too many attempts. Wait 15 minutes and try again, or ask an administrator.",
    "password": "Your password has been changed. Other browsers have been signed out.",
    "sessions": "Every other browser has been signed out.",
    "totp_on": "Sign-in codes are on. You'll need your authenticator app to sign in.",
    "totp_off": "Sign-in codes are off.",
    "approved": "Approved. They have been sent a message to say so.",
    "edited": "Your changes are saved and the plan is approved. They have been told what changed.",
    "sent_back": "Sent back. Your note has been sent to them.",
    "acknowledged": "Alert acknowledged.",
    "assigned": "Named practitioner saved.",
    "appointment": "Next appointment saved.",
    "schedule": "Check-ins saved. What comes next is planned again.",
    "team": "Team settings saved.",
    "practitioner": "Practitioner saved.",
    "team_created": "Team created.",
    "nhs_number": "NHS number saved.",
    "discharged": "Discharged. Their closing message is on its way; nothing more will be sent.",
    "discharge_unconfirmed": "Not discharged: tick the box to confirm, then press Discharge.",
    "erased": "The record has been erased. Only the audit entry is kept.",
    "pin_reset": "Their PIN is off. They have been sent a message to say so.",
    "pin_none": "They have no PIN to reset.",
    "suggested": "Suggestion kept. Add another, or send the plan back with them.",
    "suggestions_sent": "Sent back with your suggestions. They get them one at a time and decide.",
    "languages": "Team languages saved.",
    "language": "Language saved. Their next message is in it.",
    "language_not_offered": "Not saved: their team does not offer that language. An admin can "
    "enable it on the team's page.",
    "language_admin_only": "Not enabled: only an admin can enable a translation that a fluent "
    "clinician has not reviewed.",
    "language_unacknowledged": "Not enabled: tick the box to say you know the translation has "
    "not been reviewed by a fluent clinician.",
    "already": "Someone has already reviewed that version; this is how it stands now.",
}


def notice(key: str) -> str | None:
    return NOTICES.get(key)
