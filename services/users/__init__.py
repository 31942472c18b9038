"""People: roles, and the chat identities (platform, address) that map to them."""
