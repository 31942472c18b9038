"""Chat adapters and the command core they share."""
