"""Changelist filters for tables of any size: none of them reads the table to build its choices.

Django's own ``RelatedFieldListFilter`` lists every related row (every user, on each page of calls) and
``AllValuesFieldListFilter`` selects the distinct values of a column over the whole table: both grow with the data.
These take what staff type or pick instead:

- ``autocomplete_filter(title)``: a foreign key picked with the admin's own autocomplete (select2 and the
  ``admin:autocomplete`` view Django ships, searching the related admin's ``search_fields``). Its query parameter is
  the field path itself (``?bot=<pk>``, ``?bot__user=<pk>``), the one the "Related records" links use.
- ``RangeFilter``: a number between two bounds (``cost__gte``/``cost__lte``).
- ``ContainsFilter``: text containing what is typed (``ended_reason__icontains``).

Each says what it applies as ``active_label`` (e.g. "bot: Aurora concierge"), for the line above the results
(``BrowserChangeList.active_filters``). The sidebar's inputs are plain GET forms and the autocomplete's change is
followed by ``static/js/admin_browser.js``: no inline script, as the CSP requires.

Considered: dalf (an autocomplete list filter on Django's select2) uses ``bot__id__exact``-style parameters, so every
related-records link would change, and shows a selected row by its id; django-admin-rangefilter renders inline
scripts and styles with a nonce. The few lines here keep the existing links and need nothing inline.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.http import urlencode


def _other_parameters(request, own: tuple[str, ...]) -> list[tuple[str, str]]:
    """The query's other parameters, as hidden inputs of a filter's form (a new filter starts from page 1)."""
    return [
        (name, value) for name, values in request.GET.lists() if name not in own and name != "p" for value in values
    ]


def _without(request, own: tuple[str, ...]) -> str:
    """The changelist's URL without this filter (exactly its parameters: ``bot`` is not ``bot__user``)."""
    return "?" + urlencode(_other_parameters(request, own))


class _InputFilter(admin.FieldListFilter):
    """A filter whose values are typed or picked, never listed: it keeps only the non-empty ones."""

    def __init__(self, field, request, params, model, model_admin, field_path) -> None:
        self.request = request
        super().__init__(field, request, params, model, model_admin, field_path)
        self.used_parameters = {
            name: value for name, value in self.used_parameters.items() if value not in (None, "", []) and value != [""]
        }

    def has_output(self) -> bool:
        return True

    def value_of(self, name: str) -> str:
        value = self.used_parameters.get(name)
        return str(value[-1] if isinstance(value, list) else value) if value else ""

    def active_label(self) -> str:
        raise NotImplementedError


class RangeFilter(_InputFilter):
    """A number between two bounds, both optional (``<field>__gte``, ``<field>__lte``)."""

    template = "admin/filter_inputs.html"

    def __init__(self, field, request, params, model, model_admin, field_path) -> None:
        self.lookup_gte = f"{field_path}__gte"
        self.lookup_lte = f"{field_path}__lte"
        super().__init__(field, request, params, model, model_admin, field_path)
        for name in self.used_parameters:
            try:
                float(self.value_of(name))
            except ValueError as exc:
                # The admin shows its "invalid filter" page (?e=1) for this, as for any bad lookup value.
                raise admin.options.IncorrectLookupParameters(f"{name}: not a number") from exc

    def expected_parameters(self) -> list[str]:
        return [self.lookup_gte, self.lookup_lte]

    def active_label(self) -> str:
        low, high = self.value_of(self.lookup_gte), self.value_of(self.lookup_lte)
        if low and high:
            return f"{self.title} from {low} to {high}"
        return f"{self.title} ≥ {low}" if low else f"{self.title} ≤ {high}"

    def choices(self, changelist) -> Any:
        yield {
            "hidden": _other_parameters(self.request, (self.lookup_gte, self.lookup_lte)),
            "inputs": [
                {"name": self.lookup_gte, "label": "From", "type": "number", "value": self.value_of(self.lookup_gte)},
                {"name": self.lookup_lte, "label": "To", "type": "number", "value": self.value_of(self.lookup_lte)},
            ],
            "clear": _without(self.request, (self.lookup_gte, self.lookup_lte)),
            "active": bool(self.used_parameters),
        }


class ContainsFilter(_InputFilter):
    """Text containing what is typed, case-insensitively (``<field>__icontains``). Applied only when used."""

    template = "admin/filter_inputs.html"

    def __init__(self, field, request, params, model, model_admin, field_path) -> None:
        self.lookup = f"{field_path}__icontains"
        super().__init__(field, request, params, model, model_admin, field_path)

    def expected_parameters(self) -> list[str]:
        return [self.lookup]

    def active_label(self) -> str:
        return f"{self.title} contains “{self.value_of(self.lookup)}”"

    def choices(self, changelist) -> Any:
        yield {
            "hidden": _other_parameters(self.request, (self.lookup,)),
            "inputs": [
                {"name": self.lookup, "label": "Contains", "type": "search", "value": self.value_of(self.lookup)}
            ],
            "clear": _without(self.request, (self.lookup,)),
            "active": bool(self.used_parameters),
        }


class AutocompleteFilter(_InputFilter):
    """A foreign key picked with the admin's autocomplete. The picked row is read (one query) only when the
    filter is used, to show its name; otherwise the filter costs nothing."""

    template = "admin/filter_autocomplete.html"
    filter_title = ""

    def __init__(self, field, request, params, model, model_admin, field_path) -> None:
        self.lookup = field_path
        super().__init__(field, request, params, model, model_admin, field_path)
        if self.filter_title:
            self.title = self.filter_title
        self.remote_model = field.remote_field.model
        self.selected: models.Model | None = None
        if value := self.value_of(self.lookup):
            try:
                self.selected = self.remote_model._default_manager.filter(pk=value).first()
            except (ValueError, ValidationError) as exc:
                raise admin.options.IncorrectLookupParameters(f"{self.lookup}: {exc}") from exc

    def expected_parameters(self) -> list[str]:
        return [self.lookup]

    def active_label(self) -> str:
        return f"{self.title} {self.selected if self.selected is not None else self.value_of(self.lookup)}"

    def choices(self, changelist) -> Any:
        # The source the autocomplete view checks: this foreign key, on the model that declares it.
        source = self.field.model._meta
        yield {
            "url": reverse("admin:autocomplete"),
            "app_label": source.app_label,
            "model_name": source.model_name,
            "field_name": self.field.name,
            "param": self.lookup,
            "value": self.value_of(self.lookup),
            "selected": self.selected,
            "clear": _without(self.request, (self.lookup,)),
            "placeholder": f"Any {self.title}",
        }


def autocomplete_filter(title: str) -> type[AutocompleteFilter]:
    """``list_filter = [("bot__user", autocomplete_filter("owner"))]``."""
    return type(f"{title.title().replace(' ', '')}AutocompleteFilter", (AutocompleteFilter,), {"filter_title": title})


def uses_autocomplete(list_filter) -> bool:
    return any(
        isinstance(entry, tuple | list) and isinstance(entry[1], type) and issubclass(entry[1], AutocompleteFilter)
        for entry in list_filter
    )


def autocomplete_media(admin_site) -> forms.Media:
    """Django's own autocomplete widget's scripts and styles (jQuery, select2 and its language, autocomplete.js),
    for a changelist with autocomplete filters (the widget's media depend on no field)."""
    return AutocompleteSelect(None, admin_site).media
