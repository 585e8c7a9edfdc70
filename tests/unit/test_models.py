"""Bounded fields: what is kept of text too long to store."""

from __future__ import annotations

from cody_core.models import MAX_OUTPUT_BYTES, MAX_SUMMARY_BYTES, RepositoryRun, Verification


def test_an_output_tail_cut_to_fit_keeps_its_end_where_the_failure_is():
    output = "é" * 3_000 + "FAILED: test_x"

    kept = Verification(status="failed", output_tail=output).output_tail

    assert kept.endswith("FAILED: test_x") and kept.startswith("… (cut to fit the store)")
    assert len(kept.encode()) <= MAX_OUTPUT_BYTES


def test_a_summary_cut_to_fit_keeps_its_start():
    summary = "Renamed old_call. " + "é" * MAX_SUMMARY_BYTES

    kept = RepositoryRun(job_id="j", repository_name="o/r", summary=summary).summary

    assert kept.startswith("Renamed old_call.") and kept.endswith("… (cut to fit the store)")
    assert len(kept.encode()) <= MAX_SUMMARY_BYTES
