"""The one family of errors a person can act on.

Each adapter maps these once: chat adapters to an error Reply, the TAXII server to a TAXII
error object with the matching HTTP status.
"""

from __future__ import annotations


class PuenteError(Exception):
    """A refusal with a message that tells the person what to do instead."""

    http_status = 400


class InvalidInput(PuenteError):
    """The request is malformed: a bad value, option or syntax."""

    http_status = 400


class NotFound(PuenteError):
    """The ticket, user, peer or object named does not exist (or is not visible)."""

    http_status = 404


class Forbidden(PuenteError):
    """The person is known but their role does not allow this."""

    http_status = 403


class Unauthenticated(PuenteError):
    """The person or partner is not known to this Puente."""

    http_status = 401


class Conflict(PuenteError):
    """The request is well-formed but not allowed in the current state (e.g. a lifecycle step)."""

    http_status = 409
