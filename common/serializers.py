"""Output serialization at the speed of the data, with DRF's output unchanged (issue 16).

DRF's ``Serializer.to_representation`` does generic work for every field of every row: ``field.get_attribute``
walks ``source_attrs`` with callable checks, then ``field.to_representation`` re-reads the current time zone for
every date. Serialising 200 bots took as long as the rest of the request together (the bot lists served half the
requests per second of a bare Django view of the same rows). ``FastOutputMixin`` plans each row once per
serializer: a plain model column is read with ``attrgetter``, and the common field types convert with the very
operations DRF applies (``str``, ``int``, a bool as is, an aware datetime moved to the current zone and written in
ISO 8601 with ``Z`` for UTC); every other field (custom classes, dotted or callable sources, relations, a field
with its own format or zone) goes through DRF's own methods. Tests compare both outputs field by field.

No kept package does this here: drf-fast-output (the same idea, compiled) is not available from our registry.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from operator import attrgetter
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings

Converter = Callable[[Any], Any]


def _boolean(field: serializers.Field) -> Converter:
    def convert(value: Any) -> Any:
        return value if value is True or value is False else field.to_representation(value)

    return convert


def _datetime(field: serializers.DateTimeField, zone: datetime.tzinfo | None) -> Converter:
    def convert(value: Any) -> Any:
        if type(value) is datetime.datetime and value.tzinfo is not None and zone is not None:
            try:
                text = value.astimezone(zone).isoformat()
            except OverflowError:
                return field.to_representation(value)  # DRF's own error
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        return field.to_representation(value)

    return convert


def _converter(field: serializers.Field, zone: datetime.tzinfo | None) -> Converter:
    """The conversion DRF's ``field.to_representation`` applies, without its per-value overhead, for the exact
    classes whose method is known; the field's own method for anything else (subclasses included)."""
    kind = type(field)
    if kind is serializers.CharField:
        return str
    if kind is serializers.IntegerField:
        return int
    if kind is serializers.BooleanField:
        return _boolean(field)
    if (
        kind is serializers.DateTimeField
        and getattr(field, "format", api_settings.DATETIME_FORMAT) == ISO_8601
        and not hasattr(field, "timezone")
    ):
        return _datetime(field, zone)
    return field.to_representation


_MISSING = object()


def _missing(instance: Any) -> Any:
    return _MISSING


def _plain_columns(model: type) -> set[str]:
    return {
        field.attname for field in model._meta.concrete_fields if not field.is_relation and field.attname == field.name
    }


# DRF's field classes whose output depends on the value and the field's own arguments only (not on its parent, the
# request or the context): a plan of them may serve every instance of the serializer class. A field class of ours
# says the same with ``context_free_output = True``.
_CONTEXT_FREE = {
    serializers.CharField,
    serializers.IntegerField,
    serializers.BooleanField,
    serializers.DateTimeField,
    serializers.ChoiceField,
    serializers.FloatField,
    serializers.UUIDField,
    serializers.EmailField,
    serializers.URLField,
}


def _context_free(field: serializers.Field) -> bool:
    return type(field) in _CONTEXT_FREE or getattr(type(field), "context_free_output", False) is True


class _Plan:
    """How one serializer writes its rows: ``steps`` (name, read, convert, field) for every readable field, and
    ``columns``: the same as (name, key, convert) when every field is a plain column, for the one-expression path
    (``None`` otherwise)."""

    __slots__ = ("columns", "steps")

    def __init__(self, steps: list[tuple[str, Callable[[Any], Any], Converter, serializers.Field]], columns) -> None:
        self.steps = steps
        self.columns = columns


# Plans shared by every instance of a serializer class, per (class, values rows or models, time zone): built once
# per process rather than once per request, when the class's fields cannot depend on the instance (see _shareable).
_SHARED_PLANS: dict[tuple[type, bool, datetime.tzinfo | None], _Plan] = {}
_ROW_COLUMNS: dict[type, tuple[str, ...] | None] = {}
_UNSHAREABLE: set[type] = set()


class FastOutputMixin:
    """For a ``ModelSerializer`` whose output is read on lists: the same dict as DRF's ``to_representation``,
    planned once per serializer class (or once per instance, when its fields may depend on the instance).

    Rows may also be the dicts of ``queryset.values()`` (``rows_for``): no model instance is built for them, which
    on a list of 200 bots is the next largest cost after DRF's own field loop."""

    _own_plans: tuple[tuple[bool, datetime.tzinfo | None], _Plan] | None = None  # when it cannot be shared

    @classmethod
    def rows_for(cls, queryset):
        """``queryset.values()`` of the columns this serializer reads, when every field it writes is a plain column
        of the model (else the queryset itself: model rows, as always)."""
        if cls not in _ROW_COLUMNS:
            plain = _plain_columns(cls.Meta.model)
            sources = [field.source_attrs for field in cls()._readable_fields]
            plain_only = all(len(attrs) == 1 and attrs[0] in plain for attrs in sources)
            _ROW_COLUMNS[cls] = tuple(dict.fromkeys(attrs[0] for attrs in sources)) if plain_only else None
        columns = _ROW_COLUMNS[cls]
        return queryset if columns is None else queryset.values(*columns)

    @classmethod
    def _shareable(cls) -> bool:
        """A class that builds its fields as DRF's ``ModelSerializer`` does (no ``get_fields``, ``fields`` or
        ``__init__`` of its own), each of them context-free: its plan is the same for every instance."""
        base = serializers.ModelSerializer
        return (
            cls.get_fields is base.get_fields
            and cls.__init__ is base.__init__
            and cls.fields is base.fields
            and cls._readable_fields is base._readable_fields
        )

    def _build_plan(self, rows: bool, zone: datetime.tzinfo | None) -> _Plan:
        plain = _plain_columns(self.Meta.model)
        steps = []
        for field in self._readable_fields:
            attrs = field.source_attrs
            column = attrs[0] if len(attrs) == 1 and attrs[0] in plain else None
            if column is None:
                read = _missing
            elif rows:
                read = lambda row, key=column: row.get(key, _MISSING)  # noqa: E731
            else:
                read = attrgetter(column)
            steps.append((field.field_name, read, _converter(field, zone), field))
        columns = None
        if all(read is not _missing for _, read, _, _ in steps):
            columns = [(name, field.source_attrs[0] if rows else read, convert) for name, read, convert, field in steps]
        return _Plan(steps, columns)

    def _plan(self, rows: bool, zone: datetime.tzinfo | None) -> _Plan:
        cls = type(self)
        key = (cls, rows, zone)
        plan = _SHARED_PLANS.get(key)
        if plan is not None:
            return plan
        own = self._own_plans
        if own is not None and own[0] == (rows, zone):
            return own[1]
        if cls not in _UNSHAREABLE and cls._shareable():
            # Planned on an instance of its own, without data or context: a shared plan's fields must not keep a
            # request's serializer (its rows, its request) alive for the life of the process.
            plan = cls()._build_plan(rows, zone)
            if all(_context_free(field) for _, _, _, field in plan.steps):
                _SHARED_PLANS[key] = plan
                return plan
            _UNSHAREABLE.add(cls)
        plan = self._build_plan(rows, zone)
        self._own_plans = ((rows, zone), plan)
        return plan

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return self._write(instance, timezone.get_current_timezone() if settings.USE_TZ else None)

    def _write(self, instance: Any, zone: datetime.tzinfo | None) -> dict[str, Any]:
        """A model row reads its plain columns as attributes, a ``values()`` row by key; when every field is such a
        column, in one dict expression. Otherwise, or when a key is missing (a read-only field whose key is missing
        is left out, as DRF reads a mapping), field by field, any field beyond the columns through DRF's own
        ``get_attribute``. Anything else (another object) goes to DRF whole."""
        rows = isinstance(instance, dict)
        if not rows and not isinstance(instance, self.Meta.model):
            return super().to_representation(instance)
        plan = self._plan(rows, zone)
        if plan.columns is not None:
            try:
                if rows:
                    return {
                        name: None if (value := instance[key]) is None else convert(value)
                        for name, key, convert in plan.columns
                    }
                return {
                    name: None if (value := read(instance)) is None else convert(value)
                    for name, read, convert in plan.columns
                }
            except (KeyError, AttributeError):
                pass  # field by field below: DRF's own answer for what is missing
        result: dict[str, Any] = {}
        for name, read, convert, field in plan.steps:
            attribute = read(instance)
            if attribute is _MISSING:
                try:
                    attribute = field.get_attribute(instance)
                except SkipField:
                    continue
            check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            result[name] = None if check is None else convert(attribute)
        return result


class FastListSerializer(serializers.ListSerializer):
    """The list of a ``FastOutputMixin`` serializer (its ``Meta.list_serializer_class``): DRF's list, with the time
    zone read once for all rows rather than once a row."""

    def to_representation(self, data):
        iterable = data.all() if isinstance(data, models.manager.BaseManager) else data
        zone = timezone.get_current_timezone() if settings.USE_TZ else None
        write = self.child._write
        return [write(item, zone) for item in iterable]
