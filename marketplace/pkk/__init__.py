"""The PKK packaging team: the review queue and its decisions."""
