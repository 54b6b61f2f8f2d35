"""The API does what its OpenAPI schema says (/api/schema/), checked by schemathesis on PostgreSQL with a fixed
seed: every operation, requests that fit the schema and requests that break it, signed in as the owner of real rows.

Checks, none excluded, all with 0 failures:
- ``not_a_server_error``: no 5xx;
- ``status_code_conformance``: every status answered is documented for its operation;
- ``content_type_conformance``: the media type answered is the documented one;
- ``response_schema_conformance``: every body, errors included, validates against its documented schema;
- ``negative_data_rejection``: a request that breaks the schema (a wrong type, a number out of bounds, a missing
  required field, an unknown enum value) is refused with a 4xx: the schema states the rules the code enforces;
- ``ignored_auth``: an operation that declares authentication refuses the same request without it, and with a
  wrong token (schemathesis sends both probes);
- ``use_after_free`` (stateful): a record deleted through the API is gone from every operation that names it.
  Schemathesis links the operations from their parameters (``uuid``, ``document_id``, …) and runs sequences of
  calls: create a bot, read it, change it, delete it, read it again.

Run a subset while working on a part of the API: ``pytest config/tests/test_conformance.py -k "analytics"`` (the
test ids are ``METHOD /path``).
"""

from __future__ import annotations

from functools import partial

import hypothesis
import pytest
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

from config.tests.openapi_schema import (
    REPORTS,
    WITHOUT_COVERAGE,
    Credentials,
    Seeded,
    hypothesis_settings,
    in_process,
    load_schema,
    sign_in,
)

pytestmark = pytest.mark.slow

SEED = 20261207
EXAMPLES_PER_OPERATION = 40  # positive and negative cases: over 1,500 requests in all
STATEFUL_STEPS = 60

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
    use_after_free,
]

SENT: list[str] = []


def _real_ids_too(context, generated: dict | None) -> st.SearchStrategy:
    """A path or query value as generated, or a real row's id, so that requests reach past the 404s."""
    if not generated:
        return st.just(generated)
    return st.fixed_dictionaries(
        {name: st.sampled_from([value, *Seeded.values.get(name, [])]) for name, value in generated.items()}
    )


HOOKS = {"flatmap_path_parameters": _real_ids_too, "flatmap_query": _real_ids_too}
schema = sign_in(load_schema(wsgi_middleware=partial(in_process, sent=SENT), **HOOKS))
operations = schema.exclude(**REPORTS)
reports = load_schema(wsgi_middleware=partial(in_process, sent=SENT), config=WITHOUT_COVERAGE, **HOOKS).include(
    **REPORTS
)


@pytest.fixture(scope="module", autouse=True)
def enough_cases():
    """The bound this run promises: at least 1,000 generated requests."""
    yield
    if len(SENT) > 200:  # the whole run, not a -k subset
        print(f"\nconformance: {len(SENT)} requests")  # noqa: T201 (the figure the run promises, shown with -s)
        assert len(SENT) >= 1000, f"only {len(SENT)} requests were generated"


@pytest.fixture
def signed_in(api_data, make_token, user):
    """Every request is the owner's: a fresh Clerk session token (they last a minute) and the VAPI secret."""
    Credentials.mint = lambda: make_token(user)
    yield
    Credentials.mint = None


@operations.parametrize()
@hypothesis_settings(EXAMPLES_PER_OPERATION)
@hypothesis.seed(SEED)
def test_operation_conforms_to_its_schema(case, signed_in):
    case.call_and_validate(checks=CHECKS)


@reports.parametrize()
@hypothesis_settings(EXAMPLES_PER_OPERATION)
@hypothesis.seed(SEED)
def test_report_conforms_to_its_schema(case, signed_in):
    case.call_and_validate(checks=CHECKS)


def test_sequences_of_calls_conform(signed_in):
    """The stateful run: sequences of linked calls (create, read, update, delete, read again)."""

    @hypothesis.seed(SEED)  # read by Hypothesis from the state machine's class
    class Sequences(schema.as_state_machine()):
        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs or None, recorder=self.recorder)

    Sequences.run(
        settings=hypothesis.settings(
            hypothesis_settings(STATEFUL_STEPS), stateful_step_count=8, phases=[hypothesis.Phase.generate]
        )
    )
