#!/usr/bin/env bash
# Set up everything cobalamin needs on a fresh Debian machine with Python 3.11+:
# a virtual environment in .venv with the package, every optional extra and the development
# tools, Java (Debian's headless JRE) for the Spark engine, Debian's Chromium for the browser
# tests of the web pages (Playwright drives /usr/bin/chromium; no browser is downloaded), and the
# npm validator the FHIR tests use (tools/fhir-validate, FHIR.js; needs Node.js and npm).
# Safe to run again: it only adds what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
APT_UPDATED=""
apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: no apt-get here; install $* yourself" >&2
    return 0
  fi
  if [ -z "$APT_UPDATED" ]; then
    $SUDO apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! command -v java >/dev/null 2>&1; then
  echo "setup: installing Java for Spark (Debian default-jre-headless)" >&2
  apt_install default-jre-headless
fi

if [ ! -x /usr/bin/chromium ]; then
  echo "setup: installing Chromium for the browser tests (Debian chromium)" >&2
  apt_install chromium || echo "setup: could not install chromium; the browser tests will be skipped" >&2
fi

if ! command -v wrk >/dev/null 2>&1; then
  echo "setup: installing wrk for benchmarks/bench_service.py (Debian wrk)" >&2
  apt_install wrk || echo "setup: could not install wrk; bench_service.py will say so" >&2
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[all,dev]'

# FHIR.js (npm "fhir"), the independent R4 validator of tests/interop/test_fhir*.py
if [ -d tools/fhir-validate/node_modules/fhir ]; then
  :  # already installed
elif command -v npm >/dev/null 2>&1; then
  (cd tools/fhir-validate && npm ci --no-audit --no-fund --silent)
else
  echo "setup: npm not found; the FHIR validation tests will be skipped (apt-get install nodejs npm)" >&2
fi
