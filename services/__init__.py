"""Domain services: the rules of tickets, sharing, assistance and escalation, and the only writers of state."""
