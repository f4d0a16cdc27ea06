import logging
import sys


def setup(level: str = "INFO") -> None:
    logging.basicConfig(stream=sys.stderr, level=level,
                        format="%(asctime)s %(levelname)-7s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
