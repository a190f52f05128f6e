"""How many records a load writes per transaction: fixed when asked, else adapted to the engines' pace.

A transaction costs a round trip per label and relationship type whatever its size, so larger
batches are cheaper per record, up to the server's transaction timeout. Without a size given, a
load starts at ``START`` records and steers each transaction towards ``target_s`` seconds: it grows
while transactions are quick, shrinks when one is slow, and halves after a transaction timed out
(the writer then splits that batch and writes it again in halves).
"""

from __future__ import annotations

from dataclasses import dataclass

START = 2000
SMALLEST = 200
LARGEST = 20_000


@dataclass
class BatchSize:
    """The size of the next batch; ``fixed`` keeps it as given."""

    size: int = START
    fixed: bool = False
    target_s: float = 10.0

    @classmethod
    def of(cls, size: int | None, target_s: float) -> BatchSize:
        """``size`` records each time, or adaptive from ``START`` when None."""
        return cls(size, True, target_s) if size is not None else cls(START, False, target_s)

    def observe(self, records: int, seconds: float) -> None:
        """A transaction of ``records`` took ``seconds``: steer the next one towards ``target_s``."""
        if self.fixed or records < self.size or seconds <= 0:
            return  # a short final batch says little about the next
        # At most doubled or halved at a time: one slow transaction on a busy machine is noise.
        factor = min(2.0, max(0.5, self.target_s / seconds))
        self.size = int(min(LARGEST, max(SMALLEST, self.size * factor)))

    def timed_out(self) -> None:
        """A transaction ran past the server's timeout: halve (even a fixed size, or it would again)."""
        self.size = max(1, self.size // 2) if self.fixed else max(SMALLEST, self.size // 2)
