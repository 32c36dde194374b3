"""Transfers on ``amaranth.lib.stream`` interfaces for the Amaranth testbenches (after Glasgow's
``stream_put``/``stream_get``), so that no test writes a valid/ready handshake by hand.

Payloads go through the stream's own layout: :func:`stream_put` takes a dict of fields (or an
int, or a const of the layout), which ``ctx.set`` packs with ``layout.const``; a get returns
the layout's view (``layout.from_bits``). No test spells out bit offsets.

Every wait is bounded by ``timeout`` cycles: a DUT that never takes or offers a payload fails
the test with an ``AssertionError`` instead of hanging the run. The waits sample at the clock
edge like ``ctx.tick().until(...)``, but never raise ``DomainReset``, so a test may reset the
clock domain around a transfer.
"""

#: Cycles a transfer waits for the other side before the test fails.
TIMEOUT = 20_000


async def stream_put(ctx, stream, payload, *, timeout=TIMEOUT):
    """Offer ``payload`` on ``stream`` (``valid`` high) until the sink takes it at a clock
    edge, then drop ``valid``. Returns the cycles it took, the transfer's included (1: taken
    at the first edge)."""
    ctx.set(stream.payload, payload)
    ctx.set(stream.valid, 1)
    for cycles in range(1, timeout + 1):
        _, _, ready = await ctx.tick().sample(stream.ready)
        if ready:
            ctx.set(stream.valid, 0)
            return cycles
    raise AssertionError(f"the sink took no payload in {timeout} cycles")


async def stream_get(ctx, stream, *, ready=None, timeout=TIMEOUT):
    """Take one payload from ``stream`` and return it (a view of the payload's layout).

    ``ready`` None holds ``ready`` high until the transfer; a callable is asked once a cycle
    whether to be ready in that cycle (backpressure, e.g. :func:`random_ready`). ``ready`` is
    low again when this returns.
    """
    for _ in range(timeout):
        accept = True if ready is None else bool(ready())
        ctx.set(stream.ready, accept)
        _, _, valid, payload = await ctx.tick().sample(stream.valid, stream.payload)
        if valid and accept:
            ctx.set(stream.ready, 0)
            return payload
    raise AssertionError(f"the source offered no payload in {timeout} cycles")


async def stream_get_packet(ctx, stream, **kwargs):
    """Take payloads from ``stream`` up to and including the one with ``last`` set; return
    them in order (``kwargs`` as for :func:`stream_get`, per payload)."""
    payloads = [await stream_get(ctx, stream, **kwargs)]
    while not payloads[-1].last:
        payloads.append(await stream_get(ctx, stream, **kwargs))
    return payloads


def random_ready(rng, odds):
    """The ``ready`` of :func:`stream_get` for seeded random backpressure: ready in a cycle
    with probability ``odds`` (one draw from ``rng`` a cycle)."""
    return lambda: rng.random() < odds
