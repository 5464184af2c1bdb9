"""Learning spaces (一人一空间、人人用空间) and the learning-record store (LRS, 学习记录库).

Owns: xAPI statements (activity records, 活动记录) and their HTTP endpoint
``/spaces/xapi/statements``; LRS clients; favourites (收藏); teaching-research groups
(教研组, 网络教研) with shared resources and discussion posts; each user's own space; the
space usage rates (空间应用率) by school and region, written as monitoring facts
(``eduplus spaces usage --year Y``) for the two space indicators.

May import: core, regions, schools, people, accounts; resources' models, selectors and
signals (never its services); monitoring's services (facts import, indicator
computation). The one signal receiver (``receivers.py``) records resource events.
"""
