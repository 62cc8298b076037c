"""Pinyin input for the kiosk's on-screen keyboard (pure: no Qt).

A resident types the pinyin of what they want to write (``zhang``, ``beijing``,
``lv`` for 绿) and taps one of the characters or words offered. The
dictionaries come from ``pypinyin`` (character readings and ~47 000 common
phrases). Candidates are ranked by how common a character is, estimated by how
many of those phrases use it: 张 before 獐 for ``zhang``, with no frequency
table to ship.

:class:`Composer` is the state of one composition: the letters typed so far, the
page of candidates shown, and what a tap commits. Picking a single character
for the first syllable of ``zhangsan`` leaves ``san`` to choose next, so a name
that is not in the phrase list is still typed one character at a time.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache

__all__ = ["Candidate", "PinyinIndex", "Composer", "toneless", "syllable_of", "PAGE_SIZE",
           "CJK"]

PAGE_SIZE = 6
_MAX_BUFFER = 24  # letters; a composition longer than this is not a word
CJK = range(0x4E00, 0xA000)
"""CJK Unified Ideographs (code points): what residents write."""


@dataclass(frozen=True)
class Candidate:
    text: str
    consumed: int  # letters of the buffer it stands for


def toneless(syllable: str) -> str:
    """``lǜ`` → ``lv``, ``zhāng`` → ``zhang`` (``v`` for ``ü``, as pinyin keyboards do)."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", syllable.lower()):
        if ch == "\u0308" and out and out[-1] == "u":  # u + combining diaeresis = ü
            out[-1] = "v"
        elif ch == "ü":
            out.append("v")
        elif not unicodedata.combining(ch):
            out.append(ch)
    return "".join(out)


def syllable_of(ch: str) -> str:
    """The usual pinyin of one character, toneless (``绿`` → ``lv``): what a resident
    types for it (tests and the kiosk's scripted resident use it)."""
    from pypinyin import Style, lazy_pinyin

    return toneless(lazy_pinyin(ch, style=Style.TONE)[0])


class PinyinIndex:
    """Syllable → characters and pinyin → phrases, both most common first.

    ``readings``: each character's syllables (toneless); ``phrases``: each phrase with
    the syllable of each of its characters. A character ranks under a syllable by how
    many phrases use it *with that reading* (有 is common, but not as ``wei``), then by
    how many use it at all."""

    def __init__(self, readings: dict[str, list[str]],
                 phrases: list[tuple[str, list[str]]]) -> None:
        used_as: dict[tuple[str, str], int] = {}
        used: dict[str, int] = {}
        self.phrases: dict[str, list[str]] = {}
        for word, sylls in phrases:
            for ch, syl in zip(word, sylls, strict=True):
                used_as[(ch, syl)] = used_as.get((ch, syl), 0) + 1
                used[ch] = used.get(ch, 0) + 1
            self.phrases.setdefault("".join(sylls), []).append(word)
        self.chars: dict[str, list[str]] = {}
        for ch, sylls in readings.items():
            for syl in sylls:
                self.chars.setdefault(syl, []).append(ch)
        for syl, chars in self.chars.items():
            def rank(c: str, s: str = syl) -> tuple[int, int, str]:
                return (-used_as.get((c, s), 0), -used.get(c, 0), c)
            chars.sort(key=rank)
        for words in self.phrases.values():
            words.sort(key=lambda w: (-sum(used.get(c, 0) for c in w), w))
        self.syllables = frozenset(self.chars)
        self._longest = max(map(len, self.syllables), default=0)

    @classmethod
    @cache
    def default(cls) -> PinyinIndex:
        """Built from pypinyin's dictionaries once per process (~0.4 s)."""
        from pypinyin.phrases_dict import phrases_dict
        from pypinyin.pinyin_dict import pinyin_dict

        readings: dict[str, list[str]] = {}
        for code, value in pinyin_dict.items():
            if code in CJK:
                sylls = {toneless(s) for s in value.split(",") if s}
                readings[chr(code)] = sorted(s for s in sylls if s.isascii() and s.isalpha())
        phrases = [(word, [toneless(s[0]) for s in sylls])
                   for word, sylls in phrases_dict.items()
                   if 2 <= len(word) <= 4 and len(sylls) == len(word)
                   and all(ord(c) in CJK for c in word)]
        return cls(readings, phrases)

    def first_syllable(self, letters: str) -> str | None:
        """The longest syllable the letters start with (``zhangsan`` → ``zhang``)."""
        for n in range(min(self._longest, len(letters)), 0, -1):
            if letters[:n] in self.syllables:
                return letters[:n]
        return None

    def candidates(self, letters: str) -> list[Candidate]:
        """Whole-buffer phrases, then the characters of the first syllable; when the
        letters are one syllable (``jie``), its characters come before phrases that
        happen to spell the same (极恶, ji + e)."""
        words = [Candidate(w, len(letters)) for w in self.phrases.get(letters, ())]
        first = self.first_syllable(letters)
        chars = [Candidate(c, len(first)) for c in self.chars[first]] if first else []
        return chars + words if first == letters else words + chars


class Composer:
    """The letters being composed and the page of candidates on show."""

    def __init__(self, index: PinyinIndex) -> None:
        self.index = index
        self.letters = ""
        self.page = 0
        self._all: list[Candidate] = []

    @property
    def active(self) -> bool:
        return bool(self.letters)

    def type(self, letter: str) -> None:
        letter = letter.lower()
        if len(letter) == 1 and "a" <= letter <= "z" and len(self.letters) < _MAX_BUFFER:
            self.letters += letter
            self._refresh()

    def backspace(self) -> bool:
        """Remove a letter; False when there was none (the field's own backspace)."""
        if not self.letters:
            return False
        self.letters = self.letters[:-1]
        self._refresh()
        return True

    def clear(self) -> None:
        self.letters = ""
        self._refresh()

    def shown(self) -> list[Candidate]:
        start = self.page * PAGE_SIZE
        return self._all[start:start + PAGE_SIZE]

    def pages(self) -> int:
        return max(1, -(-len(self._all) // PAGE_SIZE))

    def turn(self, step: int) -> None:
        self.page = min(max(0, self.page + step), self.pages() - 1)

    def pick(self, i: int) -> str:
        """Commit the ``i``-th candidate on show; the letters it stood for are used up."""
        shown = self.shown()
        if not 0 <= i < len(shown):
            return ""
        chosen = shown[i]
        self.letters = self.letters[chosen.consumed:]
        self._refresh()
        return chosen.text

    def commit_first(self) -> str:
        """Space: the first candidate, or the letters themselves when nothing matches."""
        if not self.letters:
            return ""
        if self._all:
            self.page = 0
            return self.pick(0)
        text, self.letters = self.letters, ""
        self._refresh()
        return text

    def _refresh(self) -> None:
        self.page = 0
        self._all = self.index.candidates(self.letters) if self.letters else []
