"""Dates shown without a filter read as phb/words.py writes them (NHS style: 23 November 2026).
Times have no Django format for "6:24pm": templates use the |time_of_day and |date_and_time filters."""

DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j F Y"
