"""Rendering typed results for people and files: terminal text, iCalendar (later HTML and
FHIR). Every word comes from the data (``data/texts.yaml`` and the knowledge files)."""
