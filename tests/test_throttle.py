"""The per-client failure window behind the console's sign-in throttle."""

from qa_service.throttle import FailureThrottle


def test_a_client_over_the_limit_waits_until_its_oldest_failure_leaves_the_window():
    t = FailureThrottle(max_failures=3, window_s=60)
    for at in (0, 10, 20):
        assert t.retry_after("1.2.3.4", now=at) == 0
        t.failed("1.2.3.4", now=at)
    assert t.retry_after("1.2.3.4", now=30) == 30  # the failure at 0 leaves at 60
    assert t.retry_after("5.6.7.8", now=30) == 0  # others are not held
    assert t.retry_after("1.2.3.4", now=60) == 0


def test_memory_is_bounded_by_forgetting_the_quietest_clients():
    t = FailureThrottle(max_failures=1, window_s=60, max_clients=2)
    t.failed("a", now=0)
    t.failed("b", now=1)
    t.failed("c", now=2)
    assert t.retry_after("a", now=3) == 0  # forgotten
    assert t.retry_after("b", now=3) > 0 and t.retry_after("c", now=3) > 0
    t.failed("d", now=100)  # a and b, c have left the window: all dropped but d
    assert t.retry_after("d", now=100) > 0 and t.retry_after("c", now=100) == 0
