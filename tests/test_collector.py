"""collector_paused: no cycle collection inside the block, the block's cycles freed after it."""

from __future__ import annotations

import gc
import weakref

from pipelines.collector import collector_paused


class Node:
    def __init__(self):
        self.me = self  # a reference cycle: only the cycle collector frees it


def test_collector_is_off_inside_and_back_on_after():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_cycle_made_inside_survives_the_block_and_is_freed_after_it():
    with collector_paused():
        ref = weakref.ref(Node())
        for _ in range(10_000):  # far past the 700 allocations that would run a collection
            [object()]
        assert ref() is not None  # nothing collected it inside
    assert ref() is None  # the one pass over the youngest generation did


def test_a_collector_switched_off_by_the_caller_stays_off():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_collector_comes_back_when_the_block_raises():
    try:
        with collector_paused():
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.isenabled()


def test_without_the_young_pass_nothing_is_collected_on_leaving(monkeypatch):
    calls = []
    monkeypatch.setattr(gc, "collect", lambda *args: calls.append(args))
    with collector_paused(collect_young=False):
        pass
    assert calls == []
    with collector_paused():
        pass
    assert calls == [(0,)]
