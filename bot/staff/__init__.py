"""What reaches staff: duty contacts, working hours, notification and escalation."""
