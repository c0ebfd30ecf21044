"""``install_ehr``: FHIR ``$interpret`` and the CDS Hooks services on a FastAPI application.

The web application calls it once, after ``create_app``::

    install_ehr(
        app,
        public_url=settings.public_url,        # the services' own URL: the JWT audience
        trust_file=settings.cds_trust,         # cobalamin serve --cds-trust FILE (or None)
        bearer_dependency=require_token,       # the records' bearer-token check, for /fhir
        knowledge=app.state.knowledge,
    )

With no trust file every CDS service call answers 401 (discovery stays open). Seen JWT ids
are kept in memory, or in Redis when ``redis_url`` is given (needed with several workers);
feedback goes to ``feedback_store`` (default: SQLite in memory; see
``cobalamin.interop.cds_hooks_feedback`` for connecting it to the records database).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from cobalamin.defaults import default_knowledge
from cobalamin.interop.cds_hooks import CdsHooks
from cobalamin.interop.cds_hooks_feedback import FeedbackStore, SqliteFeedbackStore
from cobalamin.interop.cds_hooks_prefetch import Fetch
from cobalamin.interop.fhir import Interpreter
from cobalamin.interop.jwt_trust import (
    CdsTokenVerifier,
    JwksCache,
    MemoryReplayStore,
    RedisReplayStore,
    ReplayStore,
    TrustedIssuer,
    https_jwks_fetcher,
    load_trust_file,
)
from cobalamin.knowledge.registry import Knowledge
from cobalamin.web.cds_api import CdsCors, cds_router, fhir_fetcher
from cobalamin.web.fhir_api import fhir_router

__all__ = ["DEFAULT_CDS_PACK", "SANDBOX_ORIGIN", "EhrServices", "install_ehr"]

DEFAULT_CDS_PACK = "nice-ng239"
SANDBOX_ORIGIN = "https://sandbox.cds-hooks.org"


@dataclass(frozen=True)
class EhrServices:
    """What ``install_ehr`` put on the application (for tests and for the lead's wiring)."""

    interpreter: Interpreter
    hooks: CdsHooks
    verifier: CdsTokenVerifier
    feedback: FeedbackStore


def install_ehr(
    app: FastAPI,
    *,
    public_url: str,
    trust_file: Path | str | None,
    bearer_dependency: Callable[..., Any],
    knowledge: Knowledge | None = None,
    pack: str = DEFAULT_CDS_PACK,
    issuers: Sequence[TrustedIssuer] = (),
    cors_origins: Sequence[str] = (SANDBOX_ORIGIN,),
    cors_private_network: bool = False,
    feedback_store: FeedbackStore | None = None,
    replay_store: ReplayStore | None = None,
    redis_url: str | None = None,
    tls_verify: ssl.SSLContext | bool = True,
    fetch: Fetch | None = None,
    require_token_for_discovery: bool = False,
) -> EhrServices:
    """Add ``/fhir/$interpret`` and ``/cds-services`` to ``app``.

    ``issuers`` are trusted besides those of ``trust_file``; ``tls_verify`` is how JWK Sets
    and FHIR servers are checked over https (an SSLContext trusting a private CA, or True);
    ``fetch`` replaces the https FHIR fetcher (tests)."""
    knowledge = knowledge or default_knowledge()
    trusted = [*issuers, *(load_trust_file(trust_file) if trust_file else ())]
    if replay_store is None:
        replay_store = RedisReplayStore.from_url(redis_url) if redis_url else MemoryReplayStore()
    verifier = CdsTokenVerifier(
        trusted, jwks=JwksCache(https_jwks_fetcher(verify=tls_verify)), replay=replay_store
    )
    interpreter = Interpreter(knowledge)
    hooks = CdsHooks(
        knowledge, knowledge.pack(pack), public_url=public_url, interpreter=interpreter
    )
    feedback = feedback_store or SqliteFeedbackStore()
    app.include_router(fhir_router(interpreter, bearer_dependency=bearer_dependency))
    app.include_router(
        cds_router(
            hooks,
            verifier=verifier,
            feedback=feedback,
            fetch=fetch or fhir_fetcher(verify=tls_verify),
            require_token_for_discovery=require_token_for_discovery,
        )
    )
    app.add_middleware(CdsCors, origins=tuple(cors_origins), private_network=cors_private_network)
    return EhrServices(interpreter, hooks, verifier, feedback)
