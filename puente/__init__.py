"""Puente: incident coordination between national CSIRTs."""

__version__ = "0.1.0"
