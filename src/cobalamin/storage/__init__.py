"""Patient records in a database (layer 5): SQLite by default, PostgreSQL by URL.

    database     URL resolution and an engine with durable settings
    models       the schema; migrations/ (Alembic) builds and upgrades it
    migrate      run the migrations from code
    accounts     users, argon2 passwords, bearer tokens, web sessions, single sign-on links
    audit        the append-only audit trail
    records      patients, results with their assessment, plans, doses, erasure, export
    timeline     a patient's entries by date; due: what is due; response: is it working
    backup       online SQLite backup, portable JSON backup and restore

Needs the ``web`` extra (``pip install 'cobalamin[web]'``).
"""
