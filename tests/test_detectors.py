"""Detectors on synthetic numpy frames and blocks (no decoder, no media folder): fast, exact
checks of each rule and threshold, the tests `make mutate` runs against the detectors."""
