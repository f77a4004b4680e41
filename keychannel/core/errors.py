"""Domain errors that both interfaces translate: 409 in the API, a form error on pages."""


class ConflictError(Exception):
    """Two writers met, or the write contradicts the current state (e.g. a registration race)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message
