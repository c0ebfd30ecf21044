#!/usr/bin/env bash
# Set up (the first time, or when the web extra is missing) and start the web application:
# pages for patients, clinicians and laboratories, and the JSON API. It prints the address to
# open. Options go to `cobalamin serve` (--host, --port, --db, --public-url, --lab, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/cobalamin ] || ! .venv/bin/python -c "import fastapi, uvicorn, jinja2, babel, multipart, sqlalchemy, alembic, fhir.resources, jwt" 2>/dev/null; then
  bash scripts/setup.sh
fi
exec .venv/bin/cobalamin serve "$@"
