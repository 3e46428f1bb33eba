"""A loopback simulator of the OKX, XT.com and CoinSwitch PRO balance endpoints.

It serves, on one port, each exchange's balance endpoint and its server-time
endpoint, checks every request as the exchange would (signature recomputed from
the raw path received, passphrase, demo/live environment, time window) and
answers in the exchange's own formats. See docs/contract.md, The simulator.

Usage::

    from balctl.simulator import Simulator, Fault

    with Simulator() as sim:                  # 127.0.0.1, a free port
        sim.base_url                          # "http://127.0.0.1:PORT"
        sim.credentials["okx"]                # api_key, api_secret, passphrase, demo
        sim.add_fault(Fault("status", status=429, retry_after=1, times=2), exchange="okx")
        sim.clock_skew = 120.0                # server clock = real time + 120 s
        ...
        assert all(e.verified for e in sim.log if e.endpoint == "balance")

Modules: ``server`` (Simulator, LogEntry, the HTTP layer), ``faults`` (Fault and
its kinds), ``okx``/``xt``/``coinswitch`` (pure signature checks with an
injectable clock, and the endpoints), ``accounts`` (the sample accounts),
``credentials`` (the built-in keys), ``wire`` (shared request/response types).
Run ``python -m balctl.simulator`` to serve in the foreground.
"""

from .faults import Fault
from .server import LogEntry, Simulator

__all__ = ["Fault", "LogEntry", "Simulator"]
