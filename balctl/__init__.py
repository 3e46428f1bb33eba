"""balctl: inspect margin, loan and available balances of crypto-exchange accounts."""

__version__ = "0.1.0"
