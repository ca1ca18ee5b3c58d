from django.db import models


class Payment(models.Model):
    """What the handlers record, through the ORM, in the event's transaction."""

    event_id = models.CharField(max_length=64, unique=True)
    account = models.CharField(max_length=64)

    class Meta:
        app_label = "djsite"
