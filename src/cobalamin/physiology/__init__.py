"""Mechanistic model of the body's B12: absorption, stores, carriers and serum markers."""
