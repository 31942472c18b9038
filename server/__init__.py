"""What `puente run` serves and runs: the ASGI app (health, TAXII, chat webhooks) and the workers."""
