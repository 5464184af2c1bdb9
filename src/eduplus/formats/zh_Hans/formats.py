"""Simplified Chinese formats: Django's, with the thousands separator that statistical
tables in China use (45,080), which Django's own zh_Hans formats leave out."""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
