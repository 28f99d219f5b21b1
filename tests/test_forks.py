"""surveys.forks: tasks shared among forked processes give the results, in order, and the errors they would
give in this process; a worker that dies makes the tasks run here instead of failing or hanging."""
from __future__ import annotations

import multiprocessing
import os

import pytest

from surveys.errors import ReportError
from surveys.forks import run_forked

FORK = "fork" in multiprocessing.get_all_start_methods()


def test_results_come_back_in_the_order_of_the_tasks_and_the_workers_are_other_processes():
    table = {"values": list(range(1000))}   # built here, seen by the forked workers without pickling
    tasks = [lambda i=i: (i, sum(table["values"][:i]), os.getpid()) for i in range(12)]
    results = run_forked(tasks, workers=2)
    assert [(i, total) for i, total, _ in results] == [(i, sum(range(i))) for i in range(12)]
    if FORK:
        assert os.getpid() not in {pid for _, _, pid in results}
    assert run_forked(tasks[:1]) == [tasks[0]()]   # one task: run here
    assert run_forked([], workers=2) == []


def test_a_task_error_is_raised_here_as_it_was_raised_there():
    def fails():
        raise ReportError("cannot write the Word report to 'x.docx': disk full")

    with pytest.raises(ReportError, match="disk full"):
        run_forked([lambda: 1, fails, lambda: 3], workers=2)


@pytest.mark.skipif(not FORK, reason="needs fork")
def test_a_worker_that_dies_leaves_the_work_to_this_process():
    parent = os.getpid()

    def dies_in_a_worker():
        if os.getpid() != parent:
            os._exit(3)
        return "done here"

    assert run_forked([dies_in_a_worker, lambda: "other"], workers=2) == ["done here", "other"]
