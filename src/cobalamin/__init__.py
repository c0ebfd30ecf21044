"""cobalamin: decision support for vitamin B12 deficiency."""
