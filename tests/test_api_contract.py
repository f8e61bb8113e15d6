"""The API against its own OpenAPI description (schemathesis): no server error, status
codes, headers and responses as described, on generated requests."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

# Slow (the API fuzzed against its description): run by .ci/run, not by the everyday command.
pytestmark = pytest.mark.slow


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_description(case):
    # Schema-valid values are not all acceptable: communes and codes are checked against
    # the reference data (a commune "0" is well-formed but unknown → 400 naming the field).
    # Empty query parameters deliberately mean "default" (HTML forms send them), which the
    # negative-data check counts as accepting an invalid integer.
    case.call_and_validate(excluded_checks=[positive_data_acceptance, negative_data_rejection])


@pytest.fixture
def production_like_schema(csrf_app):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", csrf_app)


production_like = schemathesis.pytest.from_fixture("production_like_schema")


@production_like.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_with_csrf_on_for_anonymous_clients(case):
    # With CSRF on, as in production: anonymous writes get their documented 401, never a
    # token error, and unsupported methods their 405.
    case.call_and_validate(excluded_checks=[positive_data_acceptance, negative_data_rejection])
