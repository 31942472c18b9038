"""What peers send us, pushed to our inboxes or polled: validated, checked against the writer rule, applied."""
