"""Training, calibration, export and evaluation of the lesion classifier (needs the [train] extra)."""
