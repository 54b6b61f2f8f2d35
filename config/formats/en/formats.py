"""The product's one way of writing dates and times (FORMAT_MODULE_PATH in settings): "6 Dec 2026" and
"6 Dec 2026, 14:05". Templates write ``{{ value|date }}`` and ``{{ value|date:"DATETIME_FORMAT" }}``, never a
format of their own; static/js/bots.js's ``formatDateTime`` writes the same for times shown in the viewer's zone.
Machine formats (``|date:"c"`` in ``datetime`` attributes, ``Y-m-d`` in date inputs) are not shown to people."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
# A day without its year, where the year is plain from the context (chart axes).
MONTH_DAY_FORMAT = "j M"
TIME_FORMAT = "H:i"
