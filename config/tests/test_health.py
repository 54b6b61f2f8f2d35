import pytest

from config.tests.outages import database_unreachable


def _assert_contract_shape(body: dict) -> None:
    assert set(body) == {"success", "status", "timestamp", "database", "environment"}
    assert set(body["database"]) == {"connection", "health", "message", "circuitBreaker"}
    assert set(body["database"]["circuitBreaker"]) == {"state", "failures", "lastFailureTime"}
    assert set(body["environment"]) == {"nodeEnv", "databaseUrl"}


@pytest.mark.django_db
def test_healthy_when_the_database_answers(client):
    response = client.get("/api/health")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    _assert_contract_shape(body)
    assert body["success"] is True
    assert body["status"] == "healthy"
    assert body["timestamp"].endswith("Z")
    assert body["database"] == {
        "connection": True,
        "health": True,
        "message": "Database is healthy",
        "circuitBreaker": {"state": "CLOSED", "failures": 0, "lastFailureTime": None},
    }
    assert body["environment"] == {"nodeEnv": "production", "databaseUrl": "configured"}


def test_unhealthy_503_json_when_the_database_does_not_answer(client, database_at_closed_port):
    response = client.get("/api/health")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    _assert_contract_shape(body)
    assert body["status"] == "unhealthy"
    assert body["database"]["connection"] is False
    assert body["database"]["health"] is False
    assert body["database"]["message"] == "Database is unreachable"
    assert body["database"]["circuitBreaker"]["state"] == "OPEN"
    assert body["database"]["circuitBreaker"]["lastFailureTime"].endswith("Z")
    # Nothing about where the database is.
    assert str(database_at_closed_port) not in response.content.decode()
    assert "127.0.0.1" not in response.content.decode()


def test_recovers_by_itself_when_the_database_comes_back(client, django_db_blocker, closed_port):
    with django_db_blocker.unblock():
        with database_unreachable(closed_port):
            assert client.get("/api/health").status_code == 503
        assert client.get("/api/health").status_code == 200
