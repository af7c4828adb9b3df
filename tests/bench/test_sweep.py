"""bench sweep's reading of a level: the knee, the censored percentiles and the chart file."""

from argparse import Namespace

from bench.b_sweep import _at_half_max, _chart, _knee, _row

CPU = {"server-0_cpu_pct": 50.0, "db_cpu_pct": 40.0, "server-0_rss_mib": 300.0, "machine_cpu_pct": 120.0}


def level(rate: float, latencies: list[float], lost: int = 0) -> dict:
    args = Namespace(duration=1.0, timeout=10.0)
    worker = {"sent": len(latencies) + lost, "acked": len(latencies), "errors": 0, "lost": lost,
              "latency_ms": latencies, "client_cpu_pct": 5.0}
    return _row(rate, args, [worker], CPU, stored=len(latencies))


def test_lost_acks_count_at_the_timeout_so_p99_does_not_fall_past_the_knee():
    row = level(100, [5.0] * 90, lost=10)
    assert row["ack_p50_ms"] == 5.0
    assert row["ack_p99_ms"] == 10_000.0
    assert row["lost"] == 10
    assert row["acked_per_s"] == 90.0


def test_the_knee_is_the_highest_rate_fully_acked_with_a_bounded_p99():
    rows = [level(100, [5.0] * 100), level(200, [20.0] * 200), level(400, [300.0] * 400),
            level(800, [5.0] * 300, lost=500)]
    assert _knee(rows)["offered_per_s"] == 200
    assert _at_half_max(rows)["offered_per_s"] == 200  # half of the best acked rate, 400/s


def test_no_knee_when_no_rate_was_kept_up_with():
    assert _knee([level(100, [900.0] * 100)]) is None


def test_the_chart_is_a_png(tmp_path):
    rows = [level(100, [5.0] * 100), level(200, [8.0] * 200), level(400, [1.0] * 100, lost=300)]
    path = _chart(rows, tmp_path / "sweep.png", _knee(rows))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 10_000  # axes, two curves and a legend, not an empty canvas
