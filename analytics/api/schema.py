"""The analytics operations' query parameters in the OpenAPI schema, written from the FilterSet that reads them
(``analytics.filters.AnalyticsFilter``): the same choices, lengths, formats and bounds, so that what the schema
states and what the code accepts are one thing, both ways (a request the schema allows is read; one it does not
is a 400).

- ``query_parameters(*names, time_range_default=…)``: the ``OpenApiParameter`` list of a view's parameters.
- ``AnalyticsSchema``: the schema class of the analytics views. It lists a view's ``parameters`` and says that
  an empty value may be sent for each optional query parameter (``allowEmptyValue``: ``?status=`` is no filter)
  and keeps the ~600 IANA zone names of ``tz`` once, as the ``TimeZone`` component, instead of in every operation.
"""

from __future__ import annotations

from typing import Any

from django import forms
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from analytics.api.serializers import NamedChoiceField
from analytics.filters import AnalyticsFilter, IsoDateField, TimeZoneField, WholeNumberField, zone_names
from common.openapi import AutoSchema

TIME_ZONE_COMPONENT = "TimeZone"
_TIME_ZONE_REF = {"$ref": f"#/components/schemas/{TIME_ZONE_COMPONENT}"}


def _schema_of(field: forms.Field) -> dict[str, Any] | OpenApiTypes:
    if isinstance(field, TimeZoneField):
        return {"allOf": [_TIME_ZONE_REF]}
    if isinstance(field, forms.ChoiceField):
        return {"type": "string", "enum": [value for value, _ in field.choices if value != ""]}
    if isinstance(field, IsoDateField):
        return OpenApiTypes.DATE
    if isinstance(field, WholeNumberField):
        return {"type": "integer", "minimum": field.min_value, "maximum": field.max_value}
    if isinstance(field, forms.CharField):
        return {"type": "string", "maxLength": field.max_length}
    raise TypeError(f"No OpenAPI type for {type(field).__name__}")


def query_parameters(*names: str, time_range_default: str = "30d") -> list[OpenApiParameter]:
    """The query parameters ``names`` as the FilterSet declares them, with their defaults."""
    filterset = AnalyticsFilter(only=names, time_range_default=time_range_default)
    defaults = filterset.defaults()
    return [
        OpenApiParameter(
            name,
            _schema_of(field),
            OpenApiParameter.QUERY,
            description=str(field.help_text),
            default=defaults.get(name),
        )
        for name, field in filterset.form.fields.items()
    ]


class AnalyticsSchema(AutoSchema):
    def get_override_parameters(self) -> list:
        """The view's query parameters (its ``parameters``, read by ``ReportView.read_query``), then what
        ``@extend_schema`` adds."""
        names = getattr(self.view, "parameters", None)
        if not names:
            return super().get_override_parameters()
        default = getattr(self.view, "time_range_default", "30d")
        return [*query_parameters(*names, time_range_default=default), *super().get_override_parameters()]

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if isinstance(field, NamedChoiceField):
            self.registry.register_on_missing(
                ResolvedComponent(
                    name=field.component,
                    type=ResolvedComponent.SCHEMA,
                    object=field.component,
                    schema={"type": "string", "enum": list(field.choices)},
                )
            )
            reference = {"$ref": f"#/components/schemas/{field.component}"}
            return {"allOf": [reference], "nullable": True} if field.allow_null else reference
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def _get_parameters(self) -> list[dict[str, Any]]:
        parameters = super()._get_parameters()
        for parameter in parameters:
            if parameter["in"] == OpenApiParameter.QUERY and not parameter.get("required"):
                parameter["allowEmptyValue"] = True
            if _TIME_ZONE_REF in parameter["schema"].get("allOf", []):
                self.registry.register_on_missing(
                    ResolvedComponent(
                        name=TIME_ZONE_COMPONENT,
                        type=ResolvedComponent.SCHEMA,
                        object=TIME_ZONE_COMPONENT,
                        schema={
                            "type": "string",
                            "enum": sorted(zone_names()),
                            "description": "An IANA time zone name, as written in the tz database.",
                        },
                    )
                )
        return parameters
