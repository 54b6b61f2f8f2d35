"""Smoke tests for one admin page, written once and applied to every model (cookiecutter-django's test_admin).

A subclass names the model, how to make rows, a search term that finds one row and not another, and the number
of queries its changelist costs. That number is pinned, and shown not to grow with the rows on the page.
"""

from __future__ import annotations

import csv
import io
from typing import ClassVar

from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from common.admin_tools import export_fields


def today() -> str:
    """The start of today as the admin's date filters put it in their links (an aware datetime)."""
    return str(timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0))


class AdminSmoke:
    model: ClassVar[type[models.Model]]
    changelist_queries: ClassVar[int]

    def make(self, **kwargs) -> models.Model:
        raise NotImplementedError

    def search_term(self, obj: models.Model) -> str:
        raise NotImplementedError

    def filters_matching(self, obj: models.Model) -> list[dict[str, str]]:
        """Changelist filters and date drill-downs, each of which must keep ``obj`` in the list."""
        raise NotImplementedError

    # --- helpers

    def url(self, view: str, *args) -> str:
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)

    def get_counting(self, client, url: str):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
        return response, len(queries)

    # --- the tests

    def test_changelist_lists_rows_in_a_pinned_number_of_queries(self, staff_client):
        rows = [self.make() for _ in range(2)]
        response, first = self.get_counting(staff_client, self.url("changelist"))
        assert response.status_code == 200
        for row in rows:
            assert str(row.pk) in response.content.decode() or str(row) in response.content.decode()

        for _ in range(10):
            self.make()
        response, then = self.get_counting(staff_client, self.url("changelist"))
        assert response.status_code == 200

        assert (first, then) == (self.changelist_queries, self.changelist_queries)

    def test_search_finds_the_row(self, staff_client):
        wanted, other = self.make(), self.make()

        response = staff_client.get(self.url("changelist"), {"q": self.search_term(wanted)})

        assert response.status_code == 200
        assert list(response.context["cl"].result_list) == [wanted]
        assert other not in response.context["cl"].result_list

    def test_filters_and_date_drilldowns_keep_a_matching_row(self, staff_client):
        obj = self.make()
        for params in self.filters_matching(obj):
            response = staff_client.get(self.url("changelist"), params)
            # A lookup the admin does not allow redirects to ?e=1 instead.
            assert response.status_code == 200, params
            assert obj in response.context["cl"].result_list, params

    def test_change_view_renders(self, staff_client):
        obj = self.make()

        response = staff_client.get(self.url("change", obj.pk))

        assert response.status_code == 200
        assert response.context["original"] == obj

    def test_export_selected_as_csv_returns_exactly_the_selected_rows(self, staff_client):
        chosen = [self.make(), self.make()]
        self.make()  # not selected

        response = staff_client.post(
            self.url("changelist"),
            {"action": "export_as_csv", "_selected_action": [obj.pk for obj in chosen]},
        )

        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"].startswith(f'attachment; filename="{self.model._meta.db_table}-')
        lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        header, rows = lines[0], lines[1:]
        assert header == [field.column for field in export_fields(self.model)]
        assert "password" not in header
        assert sorted(row[header.index("id")] for row in rows) == sorted(str(obj.pk) for obj in chosen)

    def test_staff_only(self, client, user):
        client.force_login(user)  # a product user, not staff

        response = client.get(self.url("changelist"))

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
