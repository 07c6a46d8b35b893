"""The incident store: what was loaded, where it happened, and the people involved.

Loads write these tables in bulk through :mod:`asbhub.store.loaders` (raw SQL for speed, one
transaction per file); everything else reads them through the ORM.
"""

from __future__ import annotations

from django.db import models


class Source(models.Model):
    """A unit of loaded data that a reload replaces.

    For data.police.uk it is a force's month: the site republishes months with updated
    outcomes, and neither a row's content nor its Crime ID identifies a row, so a reload
    replaces the whole month. For a force export it is the export's name (one per file).
    """

    kind = models.CharField(max_length=32)
    force = models.CharField(max_length=100)
    month = models.CharField(max_length=7, blank=True, default="")
    content_hash = models.CharField(max_length=64)
    rows = models.IntegerField()
    file = models.TextField(help_text="The file this unit was last loaded from")
    loaded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "force", "month"], name="source_unit_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.force} {self.month}".strip()


class Location(models.Model):
    """A place as published: data.police.uk's anonymised 'on or near' map points are shared
    by many incidents, so each is stored once."""

    key = models.TextField(
        unique=True, help_text="longitude|latitude|description|LSOA code|LSOA name"
    )
    longitude = models.FloatField(null=True)
    latitude = models.FloatField(null=True)
    easting = models.FloatField(null=True, help_text="British National Grid (EPSG:27700)")
    northing = models.FloatField(null=True, help_text="British National Grid (EPSG:27700)")
    description = models.TextField(blank=True, default="")
    lsoa_code = models.CharField(max_length=9, null=True, db_index=True)
    lsoa_name = models.TextField(null=True)
    lsoa_derived = models.BooleanField(
        db_default=False, help_text="LSOA found by point-in-polygon, not given by the source"
    )
    outside_area = models.BooleanField(
        db_default=False, help_text="The point lies in none of the force's LSOAs"
    )

    def __str__(self) -> str:
        return self.description or f"{self.latitude}, {self.longitude}"


class Incident(models.Model):
    """One crime, ASB incident or record of contact (ROC)."""

    # No single-column index on source: (source, line) below serves reloads and deletes.
    source = models.ForeignKey(
        Source, on_delete=models.CASCADE, related_name="incidents", db_index=False
    )
    line = models.IntegerField(help_text="Line of the source file the row starts on")
    record_type = models.CharField(max_length=5)
    month = models.CharField(max_length=7)
    crime_type = models.CharField(max_length=100)
    crime_id = models.CharField(
        max_length=100, null=True, help_text="data.police.uk Crime ID (not unique)"
    )
    reference = models.CharField(max_length=64, null=True, help_text="Force incident reference")
    reported_by = models.CharField(max_length=100, blank=True, default="")
    # Unindexed: every index costs each bulk load a B-tree write per row (measured: about a
    # third of load time on SQLite); add one with the first query that needs it.
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, related_name="incidents", db_index=False
    )
    outcome = models.TextField(null=True)
    context = models.TextField(null=True)
    # The force export's richer fields (empty for data.police.uk rows).
    asb_category = models.CharField(max_length=1, null=True)
    closure_code = models.CharField(max_length=10, null=True)
    covid = models.BooleanField(null=True)
    occurred_from = models.DateTimeField(null=True)
    occurred_to = models.DateTimeField(null=True)
    reported_at = models.DateTimeField(null=True)
    lpu = models.CharField(max_length=100, null=True)
    snt = models.CharField(max_length=100, null=True)
    thrive_threat = models.CharField(max_length=6, null=True)
    thrive_harm = models.CharField(max_length=6, null=True)
    thrive_risk = models.CharField(max_length=6, null=True)
    thrive_investigation = models.CharField(max_length=6, null=True)
    thrive_vulnerability = models.CharField(max_length=6, null=True)
    thrive_engagement = models.CharField(max_length=6, null=True)
    public_report = models.BooleanField(db_default=False)
    row_hash = models.CharField(
        max_length=64, null=True, help_text="Content hash of a force export row"
    )

    class Meta:
        constraints = [
            # Partial, so the many data.police.uk rows without a reference cost the index nothing.
            models.UniqueConstraint(
                fields=["reference"],
                condition=models.Q(reference__isnull=False),
                name="incident_reference_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["month", "crime_type"], name="incident_month_type"),
            models.Index(fields=["source", "line"], name="incident_source_line"),
        ]

    def __str__(self) -> str:
        return self.reference or f"{self.crime_type} {self.month} (line {self.line})"


class Person(models.Model):
    """Personal data of someone involved in an incident: kept apart, shown only to those
    entitled under a live sharing agreement."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="people")
    role = models.CharField(max_length=10)
    name = models.TextField(blank=True, default="")
    date_of_birth = models.DateField(null=True)
    phone = models.CharField(max_length=40, blank=True, default="")
    email = models.CharField(max_length=254, blank=True, default="")
    address = models.TextField(blank=True, default="")
    postcode = models.CharField(max_length=10, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.role} of {self.incident_id}"
