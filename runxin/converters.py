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
