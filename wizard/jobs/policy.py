"""What a generation run does with files already in the directory (see wizard.jobs.generation).

On its own so that the wizard's answers can hold a policy without loading the generation stack
(keys, certificates, the store) at start-up.
"""

from __future__ import annotations

from enum import Enum


class Policy(Enum):
    """What a run does with files already in the directory.

    - `REFUSE` (the default): a CA found there is reused; if any other planned file would
      change, nothing is made or written.
    - `REPLACE` (`--force`, "back up and replace"): the CA found there is still reused; the
      files that change move into `backup-<time>/` first.
    - `NEW_CA` (`--new-ca`, "make a new CA"): a new CA too; everything that changes, the old CA
      included, moves into the backup. Everything the old CA signed stops being trusted.
    """

    REFUSE = "refuse"
    REPLACE = "replace"
    NEW_CA = "new-ca"


__all__ = ["Policy"]
