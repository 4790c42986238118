"""The refusals of the input contract: the errors and rule names of
:mod:`supercon3d.data.contract`, light to import (no pymatgen, no NumPy), so that the processes
that only read bytes and send work out (a screen's coordinator, the web server) can raise and
catch them."""

from supercon3d.errors import SuperCon3DError

RULE_FILE = "file"
RULE_BLOCKS = "data blocks"
RULE_CELL = "cell"
RULE_SITES = "atom sites"
RULE_ELEMENT = "element"
RULE_OCCUPANCY = "occupancy"
RULE_COORDINATES = "coordinates"
RULE_POSITIONS = "positions"
RULE_SYMMETRY = "symmetry"
RULE_SIZE = "size"
RULE_VOLUME = "volume per atom"
RULE_STRICT = "strict"


class CifReadError(SuperCon3DError, ValueError):
    """A CIF could not be read; the message is one line that starts with the file name."""

    def __init__(self, source: str, reason: str):
        self.source = source
        self.reason = " ".join(str(reason).split())
        super().__init__(f"{source}: {self.reason}")

    def __reduce__(self) -> tuple:
        return type(self), (self.source, self.reason)


class InputRefused(CifReadError):
    """An input that breaks a rule of the contract: one line naming the source, what is wrong
    and the rule."""

    def __init__(self, source: str, rule: str, detail: str):
        self.rule = rule
        self.detail = " ".join(str(detail).split())
        super().__init__(source, f"{self.detail} [rule: {rule}]")

    def __reduce__(self) -> tuple:
        return type(self), (self.source, self.rule, self.detail)
