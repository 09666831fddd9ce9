"""UserError: bad input explained to the student. core/ has no i18n, so it raises a message key plus
parameters; ui/ translates it (ui.widgets.show_user_error). The English text is for logs and tests."""
from __future__ import annotations


class UserError(ValueError):
    def __init__(self, key: str, message: str = "", **params):
        self.key = key
        self.params = params
        super().__init__(message or key)
