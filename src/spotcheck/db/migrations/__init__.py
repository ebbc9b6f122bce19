"""SpotCheck's Alembic environment: ``env.py`` and one file per schema revision in ``versions/``.

Nothing here is run through the ``alembic`` command line or an ``alembic.ini``:
:mod:`spotcheck.db.migrate` builds the configuration in code and hands ``env.py`` its connection
(SQLite upgrades itself at start-up, any other database through ``spotcheck db upgrade``).

Adding a revision (no ``alembic revision`` needed):

1. Change ``spotcheck/db/tables.py``.
2. Copy the newest file in ``versions/`` to the next number with a short name, e.g.
   ``versions/0002_image_refusal.py``, and set its identifiers: ``revision = "0002"`` and
   ``down_revision = "0001"`` (the previous file's ``revision``). Revisions form one line, so
   exactly one file may name a given ``down_revision``.
3. Write ``upgrade()`` (and ``downgrade()``) with explicit ``alembic.op`` calls, for example
   ``op.add_column("images", sa.Column("refusal", sa.String(32), nullable=True))``. SQLite
   cannot alter or drop most things in place: wrap such changes in
   ``with op.batch_alter_table("images") as batch: ...``, which rebuilds the table.
4. Run ``pytest tests/db/test_migrations.py``: it upgrades an empty database to the newest
   revision and fails if the result differs from ``tables.py`` in any table, column, type or index.
"""
