"""The names other packages use for the database, so that only `db/` imports SQLAlchemy.

`Database` is a connected database (what `db.store.connect` returns); `DatabaseUnavailable`
is what any query or write raises when the database cannot answer (locked, down, lost): the
engine keeps calls going and the console answers 503. `Conflict` is a write that broke a
uniqueness rule (a username taken twice, say).
"""
from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

Database = Engine
DatabaseUnavailable = SQLAlchemyError
Conflict = IntegrityError

__all__ = ["Database", "DatabaseUnavailable", "Conflict"]
