"""Contact handling: the calls (999, 101, 101 triage, online) behind the call-handling figures.

Loads write these tables in bulk through :mod:`asbhub.store.loaders.calls` (raw SQL for speed, one
transaction per file); everything else reads them through the ORM. The figures themselves come
from :mod:`asbhub.analysis.calls`, on a frame of calls.
"""

from __future__ import annotations

from django.db import models

from asbhub.ingest.calls import CHANNELS


class CallSource(models.Model):
    """A call log file: the batch that last stored or updated each of its calls.

    A call is identified by its ``call_id``, not by the file it came in (logs overlap), so a
    later file that holds a changed call takes it over; ``rows`` counts the calls a file
    holds now.
    """

    file = models.TextField(unique=True, help_text="The file's name as given to the load")
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the file's valid calls")
    rows = models.IntegerField(help_text="Calls whose latest version came from this file")
    loaded_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.file


class Call(models.Model):
    """One call, or one leg of a call (a triage call transferred to the 101 queue is two)."""

    # django-stubs lack TextChoices' functional form with (value, label) pairs, which Django takes
    Channel = models.TextChoices("Channel", [(c, c) for c in CHANNELS])  # type: ignore[call-overload]

    # No single-column index on source: loads look calls up by call_id, not by file.
    source = models.ForeignKey(
        CallSource, on_delete=models.CASCADE, related_name="calls", db_index=False
    )
    line = models.IntegerField(help_text="Line of the source file the row starts on")
    call_id = models.CharField(max_length=64, unique=True)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    queued_at = models.DateTimeField(help_text="When the call reached the queue")
    answered_at = models.DateTimeField(null=True, help_text="Empty when abandoned")
    ended_at = models.DateTimeField(help_text="When the call ended, or the caller hung up")
    abandoned = models.BooleanField()
    transferred_to = models.CharField(max_length=100, null=True)
    force = models.CharField(max_length=100, null=True)
    # Stored rather than computed in each query: every call-handling figure needs it.
    wait_seconds = models.FloatField(
        help_text="Seconds from queued to answered (to the hang-up when abandoned)"
    )
    row_hash = models.CharField(
        max_length=64, help_text="Content hash: a reload of the same call changes nothing"
    )

    class Meta:
        indexes = [models.Index(fields=["channel", "queued_at"], name="call_channel_queued")]

    def __str__(self) -> str:
        return f"{self.channel} call {self.call_id}"
