"""The handling policy: which TLP may reach which audience, and who may write which object."""
