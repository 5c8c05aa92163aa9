"""HTML pages (Jinja templates) calling the same operations as the API."""
from flask import Flask


def register(app: Flask) -> None:
    pass
