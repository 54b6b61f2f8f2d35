"""Operations' view of the running processes: request ids and JSON logs with secrets redacted, readiness, and
Prometheus metrics. See docs/monitoring.md.

Modules (settings.py imports ``logs`` and ``access`` before Django is set up: they import nothing heavy):

- ``context``: the request id and Celery task id of what a process is serving, and the request-id middleware.
- ``common.redaction`` (below every app, since the VAPI client uses it too): what counts as a secret, and the
  logging filter that removes secrets from every record.
- ``logs``: the JSON and plain formatters and the ``LOGGING`` dict built from ``LOG_LEVEL``/``LOG_FORMAT``.
- ``access``: who may read ``/metrics`` (``METRICS_TOKEN``, ``METRICS_ALLOWED_IPS``), validated at start-up.
- ``metrics``: the Prometheus metrics, the middleware that records them, and the protected ``/metrics`` view.
- ``readiness``: ``GET /api/ready``.
- ``celery_signals``: Celery's logging set up by ours, task ids in logs, task outcomes in metrics.
- ``gunicorn_hooks``: gunicorn's logger (same formats, same redaction) and its multiprocess-metrics hooks.
"""
