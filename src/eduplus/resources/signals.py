"""Events of the resources module that other modules listen to.

``resource_event`` is sent after the change it describes has been committed
(``transaction.on_commit``), with keyword arguments:

- ``user``: the acting user;
- ``verb``: one of ``VERBS`` below (xAPI-style verb names);
- ``resource``: the ``Resource``;
- ``extra``: a dict with details (``{"score": 4}`` for ``rated``, ``{"comment_id": 7}``
  for ``commented``…), JSON-serialisable.

The learning-record store (``eduplus.spaces``) records each as an xAPI statement.
"""

from __future__ import annotations

from django.dispatch import Signal

resource_event = Signal()

# xAPI verbs sent by resources, with their ADL/xAPI identifiers.
VERBS = {
    "viewed": "http://id.tincanapi.com/verb/viewed",
    "downloaded": "http://id.tincanapi.com/verb/downloaded",
    "shared": "http://adlnet.gov/expapi/verbs/shared",  # uploaded / submitted
    "rated": "http://id.tincanapi.com/verb/rated",
    "commented": "http://adlnet.gov/expapi/verbs/commented",
    "favorited": "http://activitystrea.ms/schema/1.0/favorite",
    "searched": "http://id.tincanapi.com/verb/searched",
}
