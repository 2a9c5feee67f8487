"""Domain errors: services raise these, views turn them into clear messages."""


class MarketplaceError(Exception):
    """A rule of the marketplace refused the operation; the message is for the user."""

    status_code = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(MarketplaceError):
    status_code = 404


class Forbidden(MarketplaceError):
    status_code = 403
