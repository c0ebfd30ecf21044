"""Foods, reference intakes and the intake estimate."""
