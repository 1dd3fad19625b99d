"""Between appointments: when each person hears from the assistant, and the jobs that
reach out (check-ins, appointment prep, one gentle reminder). See docs/scheduling.md."""
