from alembic import context
from sqlalchemy import create_engine

from db.models import Base

config = context.config
connectable = config.attributes.get("connection")
if connectable is None:
    connectable = create_engine(str(config.get_main_option("sqlalchemy.url")))
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connectable, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
