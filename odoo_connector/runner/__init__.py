"""The poll runner: runs a trigger on a schedule with durable state and delivery sinks.

:mod:`.watch` schedules the polls, :mod:`.state` keeps each trigger's state in SQLite, and
:mod:`.sinks` delivers the records (stdout JSON lines or a webhook). Nothing here is imported by
the actions, so ``run`` and ``poll`` do not pay for APScheduler.
"""
