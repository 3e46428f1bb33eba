"""Sample accounts served by the simulator, shaped like the exchanges' documented answers.

Amounts are strings (or Decimals where the exchange sends JSON numbers), never
floats. The contents, so tests can rely on them:

OKX trading account (multi-currency margin mode), ``details`` in this order:
    USDT  plain balance, some frozen for open orders
    BTC   balance with unrealised profit
    ETH   a loan: ``liab`` 1.5 and accrued ``interest`` 0.000184931506849315
    SOL   a small balance
    OKB   every amount zero
  Inapplicable fields are ``""`` as OKX sends them; ``totalEq`` is the sum of
  ``eqUsd``. ``okx_account(n)`` pads the list to ``n`` generated currencies
  for benchmarks.

OKX margin account (profile ``okx-margin``, its own key), multi-currency margin close
to liquidation: ``mgnRatio`` 2.718281828459045 (``adjEq`` 5436.56365691809 over ``mmr``
2000), ``imr`` 3000, ``upl`` -312.75, ``notionalUsd`` 14650.5; ``details``:
    BTC   0.35 collateral, 0.3 of it frozen for orders
    USDT  borrowed and spent: ``liab`` 8000, ``interest`` 4.315068493150685, ``eq`` negative
    ETH   borrowed and spent: ``liab`` 2, ``interest`` 0.000493150684931507
    DOGE  25000 collateral
  ``totalEq`` is the sum of ``eqUsd`` (9520.757027397260273437).

OKX spot account (profile ``okx-spot``, its own key), Spot mode without spot borrowing:
every field OKX fills only in margin modes or for borrowing is ``""`` (``availEq``,
``liab``, ``interest``, ``upl``, ``adjEq``, ``mgnRatio``, ...); ``details``:
    USDT  1250.5, of which 20 frozen for an open order (availBal 1230.5)
    BTC   0.0105, nothing frozen
  ``totalEq`` is the sum of ``eqUsd`` (2256.49995).

Like OKX, the simulator leaves out of ``details`` a currency whose ``eq`` and ``cashBal``
are both zero (the OKB sample) unless the request names it in ``ccy``.

XT lever accounts, keyed by the lower-case symbol XT uses on the wire:
    btc_usdt  base ``btc`` with a loan and interest; ``usdtNetAmount`` etc. are
              JSON numbers with 18+ significant digits
    eth_usdt  quote ``usdt`` with a loan and interest; base ``totalAmount`` is
              a JSON number
CoinSwitch futures wallet: one USDT ``base_asset_balances`` entry whose
``total_open_order_margin`` is negative, and ``asset[]`` rows for DOGEUSDT and
BTCUSDT that add up to the wallet's blocked balance and margins.
"""

from __future__ import annotations

import itertools
import string
from decimal import Decimal
from typing import Any, Iterator

OKX_UTIME = "1719905777483"
XT_UPDATED = 1719905777483

# Fields every OKX detail carries, at their value for a plain multi-currency-margin
# balance; a sample currency overrides the ones that differ.
_OKX_DETAIL_DEFAULTS: dict[str, Any] = {
    "autoLendMtAmt": "0",
    "autoLendStatus": "off",
    "availBal": "0",
    "availEq": "0",
    "borrowFroz": "0",
    "cashBal": "0",
    "ccy": "",
    "clSpotInUseAmt": "",
    "colBorrAutoConversion": "0",
    "colRes": "0",
    "collateralEnabled": False,
    "collateralRestrict": False,
    "crossLiab": "0",
    "disEq": "0",
    "eq": "0",
    "eqUsd": "0",
    "fixedBal": "0",
    "frozenBal": "0",
    "frpType": "0",
    "imr": "",
    "interest": "0",
    "isoEq": "0",
    "isoLiab": "0",
    "isoUpl": "0",
    "liab": "0",
    "maxLoan": "0",
    "maxSpotInUse": "",
    "mgnRatio": "",
    "mmr": "",
    "notionalLever": "",
    "ordFrozen": "0",
    "rewardBal": "0",
    "smtSyncEq": "0",
    "spotBal": "",
    "spotCopyTradingEq": "0",
    "spotInUseAmt": "",
    "spotIsoBal": "0",
    "spotUpl": "",
    "spotUplRatio": "",
    "stgyEq": "0",
    "totalPnl": "",
    "totalPnlRatio": "",
    "twap": "0",
    "uTime": OKX_UTIME,
    "upl": "0",
    "uplLiab": "0",
    "accAvgPx": "",
    "openAvgPx": "",
}

_OKX_SAMPLE_DETAILS: list[dict[str, Any]] = [
    {
        "ccy": "USDT",
        "eq": "4992.890093622894",
        "cashBal": "4850.435693622894",
        "availBal": "4834.317093622894",
        "availEq": "4834.3170936228935",
        "frozenBal": "158.573",
        "ordFrozen": "158.573",
        "disEq": "4991.542013297616",
        "eqUsd": "4991.542013297616",
        "maxLoan": "25000",
        "stgyEq": "150",
        "upl": "-7.545600000000006",
        "collateralEnabled": True,
    },
    {
        "ccy": "BTC",
        "eq": "0.528741",
        "cashBal": "0.5",
        "availBal": "0.49",
        "availEq": "0.518741",
        "frozenBal": "0.01",
        "ordFrozen": "0.01",
        "disEq": "31662.81",
        "eqUsd": "31977.36",
        "maxLoan": "0.8",
        "upl": "0.028741",
        "spotBal": "0.5",
        "openAvgPx": "58250.1",
        "accAvgPx": "58250.1",
        "spotUpl": "1150.25",
        "spotUplRatio": "0.0395",
        "totalPnl": "1150.25",
        "totalPnlRatio": "0.0395",
        "collateralEnabled": True,
    },
    {
        "ccy": "ETH",
        "eq": "2.039815068493150685",
        "cashBal": "2.04",
        "availBal": "2.04",
        "availEq": "2.039815068493150685",
        "liab": "1.5",
        "crossLiab": "1.5",
        "interest": "0.000184931506849315",
        "disEq": "6099.0",
        "eqUsd": "6180.64",
        "maxLoan": "3.2",
        "twap": "1",
        "frpType": "1",
        "collateralEnabled": True,
        "autoLendStatus": "unsupported",
    },
    {
        "ccy": "SOL",
        "eq": "12.75",
        "cashBal": "12.75",
        "availBal": "12.75",
        "availEq": "12.75",
        "disEq": "1740.375",
        "eqUsd": "1831.5375",
        "maxLoan": "40",
    },
    {"ccy": "OKB"},
]

_OKX_TOP_LEVEL: dict[str, Any] = {
    "adjEq": "43867.142",
    "availEq": "43867.142",
    "borrowFroz": "0",
    "delta": "",
    "deltaLever": "",
    "deltaNeutralStatus": "0",
    "imr": "1249.871",
    "isoEq": "0",
    "mgnRatio": "35.0972",
    "mmr": "312.4678",
    "notionalUsd": "9230.112",
    "notionalUsdForBorrow": "4640.88",
    "notionalUsdForFutures": "0",
    "notionalUsdForOption": "0",
    "notionalUsdForSwap": "4589.232",
    "ordFroz": "158.573",
    "upl": "-7.545600000000006",
}


def okx_detail(**fields: Any) -> dict[str, Any]:
    """One OKX ``details[]`` entry: the defaults overridden by ``fields``."""
    return {**_OKX_DETAIL_DEFAULTS, **fields}


def okx_account(assets: int | None = None) -> dict[str, Any]:
    """The OKX ``data[0]`` object; ``assets`` sets the number of ``details`` entries.

    Without ``assets`` the five sample currencies; with it, the samples that hold
    something (not OKB) followed by generated currencies up to exactly ``assets`` entries.
    """
    details = [okx_detail(**d) for d in _OKX_SAMPLE_DETAILS]
    if assets is not None:
        # every entry is served: the all-zero sample would be left out of the answer
        details = [d for d in details if d["eq"] != "0"][:assets]
        taken = {d["ccy"] for d in details}
        extra = (c for c in _generated_codes() if c not in taken)
        details += [_generated_detail(i, code) for i, code in zip(range(assets - len(details)), extra)]
    total = sum((Decimal(d["eqUsd"]) for d in details), Decimal(0))
    return {**_OKX_TOP_LEVEL, "details": details, "totalEq": str(total), "uTime": OKX_UTIME}


_OKX_MARGIN_DETAILS: list[dict[str, Any]] = [
    {
        "ccy": "BTC",
        "eq": "0.35",
        "cashBal": "0.35",
        "availBal": "0.05",
        "availEq": "0.05",
        "frozenBal": "0.3",
        "ordFrozen": "0.3",
        "disEq": "19451.25",
        "eqUsd": "20475.00",
        "maxLoan": "0.12",
        "twap": "3",
        "frpType": "1",
        "collateralEnabled": True,
    },
    {
        "ccy": "USDT",
        "eq": "-8004.315068493150685",
        "cashBal": "-8000",
        "liab": "8000",
        "crossLiab": "8000",
        "interest": "4.315068493150685",
        "eqUsd": "-8002.714205479452054863",
        "disEq": "-8002.714205479452054863",
        "maxLoan": "950",
        "twap": "3",
        "frpType": "1",
        "collateralEnabled": True,
    },
    {
        "ccy": "ETH",
        "eq": "-2.000493150684931507",
        "cashBal": "-2",
        "liab": "2",
        "crossLiab": "2",
        "interest": "0.000493150684931507",
        "eqUsd": "-6201.5287671232876717",
        "disEq": "-6201.5287671232876717",
        "maxLoan": "0.3",
        "twap": "2",
        "frpType": "1",
        "collateralEnabled": True,
        "autoLendStatus": "unsupported",
    },
    {
        "ccy": "DOGE",
        "eq": "25000",
        "cashBal": "25000",
        "availBal": "25000",
        "availEq": "25000",
        "disEq": "2925",
        "eqUsd": "3250.00",
        "maxLoan": "10000",
        "collateralEnabled": True,
    },
]

_OKX_MARGIN_TOP_LEVEL: dict[str, Any] = {
    "adjEq": "5436.56365691809",
    "availEq": "436.56365691809",
    "borrowFroz": "0",
    "delta": "",
    "deltaLever": "",
    "deltaNeutralStatus": "0",
    "imr": "3000",
    "isoEq": "0",
    "mgnRatio": "2.718281828459045",
    "mmr": "2000",
    "notionalUsd": "14650.5",
    "notionalUsdForBorrow": "14204.24",
    "notionalUsdForFutures": "0",
    "notionalUsdForOption": "0",
    "notionalUsdForSwap": "446.26",
    "ordFroz": "17550",
    "upl": "-312.75",
}


_OKX_SPOT_NOT_APPLICABLE = (  # in Spot mode without spot borrowing, OKX sends ""
    "availEq", "borrowFroz", "crossLiab", "disEq", "imr", "interest", "isoEq", "isoLiab", "isoUpl",
    "liab", "maxLoan", "mgnRatio", "mmr", "notionalLever", "twap", "upl", "uplLiab",
)

_OKX_SPOT_DETAILS: list[dict[str, Any]] = [
    {
        "ccy": "USDT",
        "eq": "1250.5",
        "cashBal": "1250.5",
        "availBal": "1230.5",
        "frozenBal": "20",
        "ordFrozen": "20",
        "eqUsd": "1250.37495",
        "spotBal": "",
    },
    {
        "ccy": "BTC",
        "eq": "0.0105",
        "cashBal": "0.0105",
        "availBal": "0.0105",
        "eqUsd": "1006.125",
        "spotBal": "0.0105",
        "openAvgPx": "91250",
        "accAvgPx": "91250",
        "spotUpl": "48",
        "spotUplRatio": "0.0500978473581213",
        "totalPnl": "48",
        "totalPnlRatio": "0.0500978473581213",
    },
]

_OKX_SPOT_TOP_LEVEL: dict[str, Any] = {
    **dict.fromkeys(("adjEq", "availEq", "borrowFroz", "delta", "deltaLever", "imr", "isoEq", "mgnRatio", "mmr",
                     "notionalUsd", "notionalUsdForBorrow", "notionalUsdForFutures", "notionalUsdForOption",
                     "notionalUsdForSwap", "ordFroz", "upl"), ""),
    "deltaNeutralStatus": "0",
}


def okx_spot_account() -> dict[str, Any]:
    """The OKX ``data[0]`` object of a Spot-mode account (profile okx-spot)."""
    blank = dict.fromkeys(_OKX_SPOT_NOT_APPLICABLE, "")
    details = [okx_detail(**{**blank, "collateralEnabled": False, **d}) for d in _OKX_SPOT_DETAILS]
    total = sum((Decimal(d["eqUsd"]) for d in details), Decimal(0))
    return {**_OKX_SPOT_TOP_LEVEL, "details": details, "totalEq": str(total), "uTime": OKX_UTIME}


def okx_margin_account() -> dict[str, Any]:
    """The OKX ``data[0]`` object of the margin account near liquidation (profile okx-margin)."""
    details = [okx_detail(**d) for d in _OKX_MARGIN_DETAILS]
    total = sum((Decimal(d["eqUsd"]) for d in details), Decimal(0))
    return {**_OKX_MARGIN_TOP_LEVEL, "details": details, "totalEq": str(total), "uTime": OKX_UTIME}


def _generated_codes() -> Iterator[str]:
    """AAA, AAB, ... : plausible upper-case codes for the benchmark account."""
    for letters in itertools.product(string.ascii_uppercase, repeat=3):
        yield "".join(letters)


def _generated_detail(index: int, code: str) -> dict[str, Any]:
    """A deterministic benchmark currency; every seventh one carries a loan."""
    amount = Decimal(index + 1) * Decimal("1.000123")
    price = Decimal(index % 97 + 1) / Decimal(8)
    fields = {
        "ccy": code,
        "eq": str(amount),
        "cashBal": str(amount),
        "availBal": str(amount),
        "availEq": str(amount),
        "eqUsd": str(amount * price),
        "disEq": str(amount * price * Decimal("0.95")),
    }
    if index % 7 == 3:
        fields.update(liab=str(amount / 10), crossLiab=str(amount / 10), interest="0.000012")
    return okx_detail(**fields)


def _xt_side(currency: str, currency_id: int, **amounts: Any) -> dict[str, Any]:
    side = {
        "availableAmount": "0",
        "capitalAmount": "0",
        "currency": currency,
        "currencyId": currency_id,
        "frozenAmount": "0",
        "interestAmount": "0",
        "loanAmount": "0",
        "totalAmount": "0",
        "updatedTime": XT_UPDATED,
    }
    side.update(amounts)
    return side


def xt_accounts() -> dict[str, dict[str, Any]]:
    """XT lever ``result`` objects keyed by lower-case symbol."""
    return {
        "btc_usdt": {
            "btcLoanAmount": Decimal("0.10004167"),
            "btcNetAmount": Decimal("0.447599993333333333333"),
            "symbol": "btc_usdt",
            "symbolId": 614,
            "usdtLoanAmount": Decimal("6002.5002"),
            "usdtNetAmount": Decimal("26855.999812345678901234"),
            "base": _xt_side(
                "btc", 2,
                availableAmount="0.5123", frozenAmount="0.01", totalAmount="0.5223",
                loanAmount="0.1", interestAmount="0.00004167", capitalAmount="0.42225833",
            ),
            "quote": _xt_side(
                "usdt", 11,
                availableAmount="1520.5", totalAmount="1520.5", capitalAmount="1520.5",
            ),
        },
        "eth_usdt": {
            "btcLoanAmount": Decimal("0.00833789"),
            "btcNetAmount": Decimal("0.15167460456"),
            "symbol": "eth_usdt",
            "symbolId": 615,
            "usdtLoanAmount": Decimal("500.2739726"),
            "usdtNetAmount": Decimal("9100.4760274"),
            "base": _xt_side(
                "eth", 3,
                availableAmount="2.5", frozenAmount="0.25", totalAmount=Decimal("2.75"),
                capitalAmount="2.75",
            ),
            "quote": _xt_side(
                "usdt", 11,
                availableAmount="1350.75", totalAmount="1350.75",
                loanAmount="500", interestAmount="0.2739726", capitalAmount="850.4760274",
            ),
        },
    }


def coinswitch_wallet() -> dict[str, Any]:
    """The CoinSwitch ``data`` object of the futures wallet balance."""
    return {
        "base_asset_balances": [
            {
                "base_asset": "USDT",
                "balances": {
                    "total_balance": "60960.82599588",
                    "total_available_balance": "60860.72418715",
                    "total_blocked_balance": "100.10180873",
                    "total_position_margin": "106.88013573",
                    "total_open_order_margin": "-6.778327",
                },
            }
        ],
        "asset": [
            {
                "symbol": "DOGEUSDT",
                "base_asset": "USDT",
                "exchange": "EXCHANGE_2",
                "blocked_balance": "50.04968529",
                "position_margin": "50.04959675",
                "open_order_margin": "0.00008854",
            },
            {
                "symbol": "BTCUSDT",
                "base_asset": "USDT",
                "exchange": "EXCHANGE_2",
                "blocked_balance": "50.05212344",
                "position_margin": "56.83053898",
                "open_order_margin": "-6.77841554",
            },
        ],
    }
