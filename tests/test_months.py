"""pipelines/months.py: the one add_months, worked by hand."""

from datetime import date

from pipelines.months import add_months


def test_whole_months_forward_and_back_across_years():
    assert add_months(date(2025, 7, 1), 12) == date(2026, 7, 1)
    assert add_months(date(2025, 1, 1), -3) == date(2024, 10, 1)  # the quarter before Q1 2025
    assert add_months(date(2023, 11, 15), 2) == date(2024, 1, 15)
    assert add_months(date(2024, 3, 10), 0) == date(2024, 3, 10)


def test_a_day_the_target_month_lacks_becomes_its_last_day():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)  # leap year
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2025, 5, 31), -2) == date(2025, 3, 31)
    assert add_months(date(2025, 8, 31), 1) == date(2025, 9, 30)
