"""The operator's `puente` command."""
