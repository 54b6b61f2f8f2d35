"""Building blocks for the admin as a data browser (in the spirit of Prisma Studio), shared by every app.

- ``export_as_csv``: a site-wide action, "Export selected as CSV", streamed row by row.
- ``count_of``: the number of related rows as a correlated subquery, so a changelist shows several counts in the
  one query that fetches its page (a JOIN + GROUP BY per count would multiply rows).
- ``change_link`` / ``changelist_link`` and ``BrowserAdmin.related_records``: links between related records.
- ``BrowserAdmin.changelist_view``: changelists are list reads that a read replica may answer.
- ``BrowserChangeList.active_filters``: what the list is showing, said above the results ("bot Aurora · status
  Ended", with a link that clears them), since a changelist reached through a related-records link names no bot.
- Filters for large tables are in ``common/admin_filters.py``; ``templates/admin/browser_change_list.html`` and
  ``static/js/admin_browser.js`` add the active-filters line and a button that folds the filter sidebar away.
- ``BrowserAdmin.list_display_extra``: columns staff may add to a list ("Columns" above it), remembered in their
  session per list, so that a list fits a window by default and still shows more on demand.
- ``datetime_column``: a date and time in a list, compact ("2026-12-06 08:05", 2 lines when narrow) where
  Django's own ("Dec. 6, 2026, 8:05 a.m.", never wrapped) takes a sixth of a 1280 px list.
- ``ReadOnlyAdmin``: records of what happened (calls, sessions, tombstones), viewed, never changed.
"""

from __future__ import annotations

import csv
import datetime
import json
from collections.abc import Iterator
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import label_for_field, quote
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AdminSplitDateTime
from django.db import models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.text import capfirst

from common.admin_filters import autocomplete_media, uses_autocomplete
from common.replica import replica_reads

# The query parameter of the "Columns" form: the extra columns chosen (an empty value marks a submission).
COLUMNS_PARAM = "_columns"
# Never exported, not even hashed.
EXPORT_EXCLUDED_FIELDS = frozenset({"password"})
# Cells that spreadsheet programs would run as formulas ("CSV injection"): prefixed with a quote.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write() hands the line back, so csv.writer can feed a streaming response."""

    def write(self, value: str) -> str:
        return value


def csv_cell(value: Any) -> Any:
    """One value as a CSV cell: ISO dates, JSON for lists and objects, formulas defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def export_fields(model: type[models.Model]) -> list[models.Field]:
    return [field for field in model._meta.concrete_fields if field.name not in EXPORT_EXCLUDED_FIELDS]


@admin.action(description="Export selected as CSV", permissions=["view"])
def export_as_csv(modeladmin: admin.ModelAdmin, request, queryset: models.QuerySet) -> StreamingHttpResponse:
    """Every column of the selected rows, headed by the database column names, in the changelist's order."""
    fields = export_fields(queryset.model)
    rows = queryset.values_list(*(field.attname for field in fields)).iterator(chunk_size=2000)
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow([field.column for field in fields])
        for row in rows:
            yield writer.writerow([csv_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    filename = f"{queryset.model._meta.db_table}-{timezone.now():%Y%m%d-%H%M%S}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def count_of(model: type[models.Model], reverse_name: str) -> Coalesce:
    """``COUNT(*)`` of the rows pointing at each ``model`` row through the reverse relation ``reverse_name``."""
    relation = model._meta.get_field(reverse_name)
    fk_name = relation.field.name
    counts = (
        relation.related_model._default_manager.filter(**{fk_name: OuterRef("pk")})
        .order_by()
        .values(fk_name)
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=models.IntegerField()), 0)


def change_url(obj: models.Model) -> str | None:
    opts = obj._meta
    try:
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)])
    except NoReverseMatch:
        return None


def change_link(obj: models.Model | None, label: object = None) -> str:
    """A link to ``obj``'s admin page, or a dash when there is no object."""
    if obj is None:
        return "—"
    url = change_url(obj)
    text = label if label is not None else obj
    return format_html('<a href="{}">{}</a>', url, text) if url else format_html("{}", text)


def changelist_link(model: type[models.Model], label: object, **filters: object) -> str:
    """A link to ``model``'s changelist filtered by ``filters`` (field lookups on the model itself)."""
    opts = model._meta
    try:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    except NoReverseMatch:
        return format_html("{}", label)
    return format_html('<a href="{}?{}">{}</a>', url, urlencode(filters), label)


def datetime_column(field_name: str, description: str):
    """A list column showing ``field_name`` compactly, sortable by it: ``list_display = (datetime_column(...),)``
    or as a method, ``created = datetime_column("created_at", "Created")``."""

    @admin.display(description=description, ordering=field_name)
    def column(*args) -> str:
        value = getattr(args[-1], field_name)
        if value is None:
            return "—"
        return format_html(
            '<time datetime="{}">{}</time>', value.isoformat(), date_format(timezone.localtime(value), "Y-m-d H:i")
        )

    column.__name__ = f"{field_name}_column"
    return column


class BrowserChangeList(ChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        return queryset.defer(*self.model_admin.changelist_defer)

    def active_filters(self) -> list[str]:
        """Each filter in use, as "<title> <value>": ours say it themselves; Django's by their selected choice (or
        their parameters, for a value none of their choices has, e.g. a date from a link)."""
        labels = []
        for spec in self.filter_specs:
            if hasattr(spec, "active_label"):
                if spec.used_parameters:
                    labels.append(spec.active_label())
                continue
            used = spec.value() if isinstance(spec, admin.SimpleListFilter) else spec.used_parameters
            if not used:
                continue
            selected = [str(choice["display"]) for choice in spec.choices(self) if choice.get("selected")]
            if not selected and isinstance(used, dict):
                selected = [
                    f"{name}={','.join(map(str, value)) if isinstance(value, list) else value}"
                    for name, value in used.items()
                ]
            labels.append(f"{spec.title} {', '.join(selected) or used}")
        return labels


class BrowserAdmin(admin.ModelAdmin):
    """Defaults for browsing data: paged changelists, and links to every related table on the change page."""

    list_per_page = 50
    # Django 6's default, now: a URL typed without a scheme is https.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    # Large columns (texts, transcripts) that the changelist does not show and therefore does not load.
    changelist_defer: tuple[str, ...] = ()

    change_list_template = "admin/browser_change_list.html"
    # Columns staff may add after list_display (appended: the sort links of the others keep their indexes).
    list_display_extra: tuple[str, ...] = ()

    def _columns_key(self) -> str:
        return f"admin-columns:{self.opts.label_lower}"

    def chosen_columns(self, request) -> list[str]:
        stored = request.session.get(self._columns_key(), []) if hasattr(request, "session") else []
        return [name for name in self.list_display_extra if name in stored]

    def get_list_display(self, request):
        return (*super().get_list_display(request), *self.chosen_columns(request))

    def get_changelist(self, request, **kwargs):
        return BrowserChangeList

    @property
    def media(self):
        media = super().media
        return media + autocomplete_media(self.admin_site) if uses_autocomplete(self.list_filter) else media

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        """A date and time's two inputs are named after their field ("Activation scheduled at: date", "…: time"):
        Django's split widget writes "Date:" and "Time:" beside them as plain text, not labels, and the field's
        label points at neither, so they had no accessible name (WCAG 4.1.2, axe's critical "label" rule)."""
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and isinstance(formfield.widget, AdminSplitDateTime):
            label = capfirst(formfield.label)
            for widget, part in zip(formfield.widget.widgets, ("date", "time"), strict=True):
                widget.attrs["aria-label"] = f"{label}: {part}"
        return formfield

    @replica_reads
    def changelist_view(self, request, extra_context=None):
        """Changelists are list reads that a read replica may answer (docs/replica.md): the staff user was loaded
        from the primary before this runs (``admin_view``), and the page, rendered here rather than after the view
        returns, reads its rows inside the routing. Actions (POST) read and write the primary."""
        if request.method == "GET" and COLUMNS_PARAM in request.GET:
            # The "Columns" form: remembered for this list, then the same list without the form's parameter.
            chosen = request.GET.getlist(COLUMNS_PARAM)
            request.session[self._columns_key()] = [name for name in self.list_display_extra if name in chosen]
            rest = [(name, value) for name, values in request.GET.lists() if name != COLUMNS_PARAM for value in values]
            return HttpResponseRedirect(request.path + (f"?{urlencode(rest)}" if rest else ""))
        if self.list_display_extra:
            chosen = self.chosen_columns(request)
            extra_context = {
                **(extra_context or {}),
                "browser_columns": [
                    {"name": name, "label": label_for_field(name, self.model, self), "checked": name in chosen}
                    for name in self.list_display_extra
                ],
                "browser_columns_param": COLUMNS_PARAM,
                "browser_columns_hidden": [
                    (name, value) for name, values in request.GET.lists() if name != COLUMNS_PARAM for value in values
                ],
            }
        response = super().changelist_view(request, extra_context)
        if isinstance(response, TemplateResponse):
            response.render()
        return response

    @admin.display(description="Related records")
    def related_records(self, obj: models.Model) -> str:
        links = []
        for relation in obj._meta.related_objects:
            if not relation.one_to_many or relation.related_model not in self.admin_site._registry:
                continue
            count = getattr(obj, relation.get_accessor_name()).count()
            opts = relation.related_model._meta
            # "1 document", "2 documents" (the models' own names: the admin is not translated).
            verbose = opts.verbose_name if count == 1 else opts.verbose_name_plural
            links.append(changelist_link(relation.related_model, f"{count} {verbose}", **{relation.field.name: obj.pk}))
        return format_html_join(" · ", "{}", ((link,) for link in links)) or "—"


class ReadOnlyAdmin(BrowserAdmin):
    """Records of what happened (calls, sessions, Clerk's tombstones): staff with the view permission browse and
    export them; nobody adds or changes them here, so their pages read "View call", without a Save button. They
    may still be deleted (a superuser's clean-up, as before)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
