"""URL converters. `<id:...>` is `<int:...>` bounded to what a PostgreSQL bigint holds, so a huge or malformed
id in a URL is a 404 rather than a database overflow (500)."""

from django.urls import register_converter

BIGINT_MAX = 2**63 - 1


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > BIGINT_MAX:
            raise ValueError("id out of range")  # Django reads a ValueError as "no match": 404
        return number

    def to_url(self, value) -> str:
        return str(int(value))


def register() -> None:
    register_converter(IdConverter, "id")


def query_id(value) -> int | None:
    """A positive whole number from a query string (an id, a page); None when missing, malformed (also non-ASCII
    digits) or beyond a bigint, so it never reaches the database as an overflow."""
    if not isinstance(value, str) or not (value.isascii() and value.isdigit()) or len(value) > 19:
        return None
    number = int(value)
    return number if 0 < number <= BIGINT_MAX else None


def query_page(value, max_page: int) -> int:
    """The page number asked for; page 1 when it is missing, malformed or beyond `max_page`."""
    number = query_id(value)
    return number if number is not None and number <= max_page else 1
