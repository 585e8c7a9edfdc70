from cody_cli.fleet_render import counts_line


def test_the_counts_name_every_outcome_that_happened():
    line = counts_line({"merged": 1200, "failed": 3, "skipped": 0}, "pull request")
    assert line == "1,203 pull requests: 1,200 merged, 3 failed"


def test_no_pull_requests_is_said_plainly():
    assert counts_line({}, "pull request") == "no pull requests"
    assert counts_line({"merged": 0}, "pull request") == "no pull requests"
