"""Reusable widgets of the wizard (and of the review screen)."""
