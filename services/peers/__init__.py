"""Peer CSIRTs: the directory (points of contact, TAXII endpoints), and the outbox towards them."""
