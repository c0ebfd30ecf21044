"""Interfaces to other systems: HL7 v2 (ORU^R01)."""
