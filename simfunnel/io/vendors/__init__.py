"""Readers (and writers, for fixtures) of applicant-tracking systems' per-application exports."""
