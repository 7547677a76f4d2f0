"""WriterLog: which of a device's write numbers were opened, and the gaps below the highest."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from safehold.client.ledger import WriterLog


def test_numbers_close_and_leave_gaps() -> None:
    log = WriterLog()
    assert log.close(3) and log.max_seq == 3 and log.gaps == [[1, 2]]
    assert not log.is_closed(1) and log.is_closed(3) and not log.is_closed(4)
    assert log.close(1) and log.gaps == [[2, 2]]
    assert not log.close(3)  # closed already: a replay
    assert log.close(7) and log.gaps == [[2, 2], [4, 6]] and log.open_count() == 4
    assert log.close(5) and log.gaps == [[2, 2], [4, 4], [6, 6]]


def test_it_round_trips_through_its_stored_form() -> None:
    log = WriterLog()
    for n in (2, 9, 5):
        log.close(n)
    again = WriterLog(log.max_seq, log.gaps)
    assert [again.is_closed(n) for n in range(1, 11)] == [log.is_closed(n) for n in range(1, 11)]


@given(st.lists(st.integers(1, 60), max_size=80))
def test_it_agrees_with_a_set(numbers: list[int]) -> None:
    log, seen = WriterLog(), set()
    for n in numbers:
        assert log.close(n) == (n not in seen)
        seen.add(n)
    top = max(seen, default=0)
    assert log.max_seq == top
    assert [log.is_closed(n) for n in range(0, 62)] == [n in seen for n in range(0, 62)]
    assert log.open_count() == top - len(seen)
