"""Password and passphrase generation, with the entropy each one really has.

Randomness comes only from :mod:`secrets`. A password must contain every chosen character class;
it is drawn uniformly from the strings that do (rejection sampling: draw from the whole alphabet,
redraw if a class is missing), so its entropy is exactly log2 of how many such strings exist,
counted by inclusion–exclusion. Forcing one character per class by position instead would
be slightly non-uniform and its entropy harder to state honestly.
"""

from __future__ import annotations

import functools
import math
import secrets
import string
from dataclasses import dataclass
from importlib import resources
from itertools import combinations
from typing import Final

from .errors import InvalidGeneratorOptions

LOWER: Final = string.ascii_lowercase
UPPER: Final = string.ascii_uppercase
DIGITS: Final = string.digits
SYMBOLS: Final = "!#$%&()*+,-./:;<=>?@[]^_{|}~"
#: Characters easily confused with another when read aloud or off paper.
LOOKALIKES: Final = frozenset("Il1|O0oS5Z2B8`'\"")

MIN_LENGTH: Final = 4
MAX_LENGTH: Final = 1024
MAX_WORDS: Final = 64
EFF_WORD_COUNT: Final = 7776
_WORDLIST_PACKAGE: Final = "safehold.client.items.wordlists"
_WORDLIST_FILE: Final = "eff_large.txt"


@dataclass(frozen=True, slots=True)
class Generated:
    """A generated secret and its entropy in bits. ``repr`` hides the value."""

    value: str
    entropy_bits: float

    def __repr__(self) -> str:
        return f"Generated(value=<{len(self.value)} characters>, entropy_bits={self.entropy_bits:.1f})"


def character_classes(
    *, lower: bool, upper: bool, digits: bool, symbols: bool, exclude_lookalikes: bool
) -> list[str]:
    """The alphabets a password with these options draws from, one string per chosen class."""
    chosen = [
        alphabet
        for alphabet, wanted in ((LOWER, lower), (UPPER, upper), (DIGITS, digits), (SYMBOLS, symbols))
        if wanted
    ]
    if exclude_lookalikes:
        chosen = ["".join(ch for ch in alphabet if ch not in LOOKALIKES) for alphabet in chosen]
    return chosen


def password_count(length: int, class_sizes: list[int]) -> int:
    """How many strings of ``length`` over the union of the classes contain every class.

    Inclusion–exclusion over the set of missing classes; the classes are disjoint."""
    total = 0
    for missing in range(len(class_sizes) + 1):
        for subset in combinations(class_sizes, missing):
            total += (-1) ** missing * (sum(class_sizes) - sum(subset)) ** length
    return total


def generate_password(
    length: int = 20,
    lower: bool = True,
    upper: bool = True,
    digits: bool = True,
    symbols: bool = True,
    exclude_lookalikes: bool = False,
) -> Generated:
    classes = character_classes(
        lower=lower, upper=upper, digits=digits, symbols=symbols, exclude_lookalikes=exclude_lookalikes
    )
    if not classes:
        raise InvalidGeneratorOptions("choose at least one kind of character for the password")
    if isinstance(length, bool) or not isinstance(length, int) or not MIN_LENGTH <= length <= MAX_LENGTH:
        raise InvalidGeneratorOptions(f"a password is {MIN_LENGTH} to {MAX_LENGTH} characters long")
    if length < len(classes):
        raise InvalidGeneratorOptions(
            f"a password of {length} characters cannot hold all {len(classes)} kinds of character"
        )
    alphabet = "".join(classes)
    while True:
        value = "".join(secrets.choice(alphabet) for _ in range(length))
        if all(any(ch in cls for ch in value) for cls in classes):
            break
    bits = math.log2(password_count(length, [len(cls) for cls in classes]))
    return Generated(value=value, entropy_bits=bits)


@functools.cache
def eff_wordlist() -> tuple[str, ...]:
    """The EFF large word list (CC BY 3.0 US, see ``wordlists/README.md``)."""
    text = resources.files(_WORDLIST_PACKAGE).joinpath(_WORDLIST_FILE).read_text(encoding="utf-8")
    # Lines are "<five dice digits>\t<word>", as the EFF publishes them.
    words = tuple(line.split("\t")[-1].strip() for line in text.splitlines() if line.strip())
    if len(words) != EFF_WORD_COUNT or len(set(words)) != EFF_WORD_COUNT:
        raise RuntimeError("the bundled EFF word list is damaged: reinstall Safehold")
    return words


def generate_passphrase(
    words: int = 6, separator: str = "-", capitalize: bool = False, add_number: bool = False
) -> Generated:
    """``words`` words from the EFF list; ``add_number`` puts a digit after one random word.

    Entropy counts the choices made: words × log2(7776), plus log2(10 × words) for the digit.
    Capitals add nothing (they are not random). With an empty separator and no capitals a few
    phrases can be spelled two ways, so the figure is then a hair above the truth.
    """
    if isinstance(words, bool) or not isinstance(words, int) or not 1 <= words <= MAX_WORDS:
        raise InvalidGeneratorOptions(f"a passphrase has 1 to {MAX_WORDS} words")
    if not isinstance(separator, str):
        raise InvalidGeneratorOptions("the separator must be text")
    wordlist = eff_wordlist()
    chosen = [secrets.choice(wordlist) for _ in range(words)]
    if capitalize:
        chosen = [word[:1].upper() + word[1:] for word in chosen]
    bits = words * math.log2(len(wordlist))
    if add_number:
        position = secrets.randbelow(words)
        chosen[position] += str(secrets.randbelow(10))
        bits += math.log2(10 * words)
    return Generated(value=separator.join(chosen), entropy_bits=bits)
