"""schemathesis against the app's own OpenAPI schema (/api/v1/schema/), signed in, every
operation: no answer is a 5xx and every answer matches the schema (status code, content type,
body, headers).

Bounded for `make test` (SCHEMATHESIS_EXAMPLES per operation, default 8, derandomized);
`make fuzz` raises it and draws new examples every run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
)

from accounts.tokens import issue_tokens
from conftest import make_user
from writers.wsgi import application

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "8"))
RANDOM = os.environ.get("FUZZ_RANDOM") == "1"
CHECKS = [
    not_a_server_error,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture
def in_test_transaction(db: Any) -> Iterator[None]:
    """Requests through the WSGI app run in the test's transaction, as the test client's do:
    the end of a request must not close the test's database connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# Loaded once at import: generating the schema reads no data, and the labels name the tests.
SCHEMA = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
OPERATIONS = [result.ok().label for result in SCHEMA.get_all_operations()]


@pytest.fixture
def signed_in(in_test_transaction: None, settings: Any) -> dict[str, str]:
    # The OpenAI endpoint would otherwise hold each request until a worker finished the task.
    settings.OPENAI_WAIT_SECONDS = 0
    user = make_user(name="alice")
    return {"Authorization": f"Bearer {issue_tokens(user)[0]}"}


@pytest.mark.parametrize("label", OPERATIONS)
def test_it_answers_every_operation_within_its_schema(
    label: str, signed_in: dict[str, str]
) -> None:
    operation = SCHEMA.find_operation_by_label(label)
    documented = set(operation.definition.raw["responses"])
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not RANDOM,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def call(case: Any) -> None:
        response = case.call(headers=signed_in)
        case.validate_response(response, checks=CHECKS)
        status = response.status_code
        assert str(status) in documented, f"{label} answered {status}, not listed in {documented}"

    call()
