"""The simulator's built-in api keys.

They are fixed, not random, so a profile file written once keeps working
against any later run. They only ever open the loopback simulator.
"""

from __future__ import annotations

from typing import Any

from .coinswitch import public_key_hex
from .okx import OkxKey
from .xt import XtKey

OKX_LIVE = OkxKey(
    api_key="0c7f4a52-3b1e-4d8a-9f61-5e2b7c9d1a30",
    secret="6B1D9E4F2A8C7035E1F4B9D2C6A80317",
    passphrase="Sim-Passphrase-1",
)
OKX_DEMO = OkxKey(
    api_key="9e2a61d4-7c58-4f03-b1a9-0d3e8f6c2b75",
    secret="F3A07C9B1E5D2846A9C0E7B3D1F56A28",
    passphrase="Sim-Demo-Passphrase-2",
    demo=True,
)
OKX_MARGIN = OkxKey(
    api_key="5a93c0e7-1d42-4b6f-a8e5-3c7d9b0f2e18",
    secret="A4C81E0F7B3D9265C0E8A1F4B7D23C95",
    passphrase="Sim-Margin-Passphrase-3",
)
"""Opens the margin account near liquidation (accounts.okx_margin_account) instead of the sample."""
OKX_SPOT = OkxKey(
    api_key="c2e7a9d0-48f1-4b6e-93a5-7d1f0b8e6c42",
    secret="7D0E93B5C1A84F26E9B3D7A05C18F4E2",
    passphrase="Sim-Spot-Passphrase-4",
)
"""Opens the Spot-mode account (accounts.okx_spot_account) instead of the sample."""
XT = XtKey(
    api_key="4d8f1b2c-6a39-47e5-8c0d-b7e2f9a31c64",
    secret="5f2c8e1a9b3d7046c2e8f1a5b9d3c7e0f4a8b2d6",
)
COINSWITCH_SEED = "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29"


def as_dict() -> dict[str, dict[str, Any]]:
    """The public ``Simulator.credentials`` layout, one entry per profile name."""
    return {
        "okx": _okx(OKX_LIVE),
        "okx-demo": _okx(OKX_DEMO),
        "xt": {"api_key": XT.api_key, "api_secret": XT.secret},
        "coinswitch": {"api_key": public_key_hex(COINSWITCH_SEED), "api_secret": COINSWITCH_SEED},
        "okx-margin": _okx(OKX_MARGIN),
        "okx-spot": _okx(OKX_SPOT),
    }


def _okx(key: OkxKey) -> dict[str, Any]:
    return {"api_key": key.api_key, "api_secret": key.secret, "passphrase": key.passphrase, "demo": key.demo}
