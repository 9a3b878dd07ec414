"""The model's first part: scikit-learn's analyzers, rewritten to work a word at a time.

They find the same n-grams as the fitted vectorizers (tests/test_npz_model.py checks them on
every message, for the default pipeline and its variants) and give each occurrence's feature column
as the raw bytes of int64s, which ``linear_scores`` reads as one array. They need no
scikit-learn: a vectorizer is described by its analyzer, n-gram range and vocabulary
(:class:`Vectorizer`), as ``model.npz`` stores it.
"""

from __future__ import annotations

import re
import sys
from array import array
from dataclasses import dataclass

import numpy as np

# The word cache, per worker: messages reuse a small vocabulary, so nearly every word of a new message
# has been seen before. It is bounded in words and in bytes, whatever clients send, and emptied when a
# new word would pass either bound (simpler than evicting, and as bounded); docs/configuration.md.
WORD_CACHE_WORDS = 50_000
WORD_CACHE_BYTES = 32 * 2**20
# Longer words are scored without being cached: a word's entry grows with its length (its code points
# and every n-gram's column), and real words are far shorter (docs/configuration.md says how long).
LONGEST_CACHED_WORD = 64


def _int64_bytes(columns) -> bytes:
    """Columns as the raw bytes of an int64 array: a text's pieces (cached per word) are then joined
    by one ``b"".join`` and become one numpy array, instead of a list of Python ints per text."""
    return array("q", columns).tobytes()


def _char_wb_grams(min_n: int, max_n: int):
    """The char_wb n-grams of one lowercased word, as scikit-learn makes them (order aside, which
    counting ignores): the word padded with one space, every n-gram for n in the range, and a
    word shorter than n counted once as a whole."""
    sizes = range(min_n, max_n + 1)

    def grams(word: str) -> list[str]:
        word = f" {word} "
        length, out = len(word), []
        for n in sizes:
            if length <= n:
                out.append(word)
                break
            out += [word[i : i + n] for i in range(length - n + 1)]
        return out

    return grams


# scikit-learn's default token pattern: runs of two or more word characters. Whitespace is never a
# word character, so a text's tokens are its whitespace-separated words' tokens, in order.
DEFAULT_TOKEN_PATTERN = r"(?u)\b\w\w+\b"
_tokens_of = re.compile(DEFAULT_TOKEN_PATTERN).findall


@dataclass(frozen=True)
class Vectorizer:
    """What the analyzers need of one fitted vectorizer: lowercased text, either "word" n-grams of the
    default token pattern or "char_wb" n-grams, in ``ngram_range``; ``vocabulary[i]`` is column i."""

    analyzer: str
    ngram_range: tuple[int, int]
    vocabulary: list[str]

    def __post_init__(self):
        if self.analyzer not in ("word", "char_wb"):
            raise ValueError(f"analyzer {self.analyzer!r} is not one of 'word', 'char_wb'")
        min_n, max_n = self.ngram_range
        if not 1 <= min_n <= max_n:
            raise ValueError(f"ngram_range {self.ngram_range} is not 1 <= min <= max")


def word_ngram_trie(vocabulary: list[str], offset: int, min_n: int, max_n: int) -> dict:
    """The word n-grams of ``vocabulary`` for n in [min_n, max_n], n >= 2, as a trie of their tokens:
    ``{token: [column or None, {next token: [...]} or None]}``.

    A text's n-grams are looked up from each of its tokens (:func:`trie_columns`): the tokens come
    from the word cache with their hashes already computed, so no n-gram string is built or hashed
    per request.
    """
    trie: dict = {}
    for column, gram in enumerate(vocabulary):
        tokens = gram.split(" ")  # a token of the default pattern never holds a space
        if min_n <= len(tokens) <= max_n:
            children = trie
            for token in tokens[:-1]:
                node = children.setdefault(token, [None, None])
                if node[1] is None:  # a leaf so far: it gets children
                    node[1] = {}
                children = node[1]
            children.setdefault(tokens[-1], [None, None])[0] = int(column + offset)
    return trie


def trie_columns(trie: dict, tokens: list[str]) -> list[int]:
    """The columns of the word n-grams of ``trie`` that start at each of ``tokens``, in order
    (``_score.c``'s walk_trie does the same, compiled)."""
    found, n = [], len(tokens)
    for start in range(n - 1):
        node, end = trie.get(tokens[start]), start + 1
        while node is not None and node[1] is not None and end < n:
            node = node[1].get(tokens[end])
            if node is not None and node[0] is not None:
                found.append(node[0])
            end += 1
    return found


def _char_wb_columns(grams, get):
    """(word, its tokens) -> the columns of the word's char_wb n-grams (None: not in the vocabulary)."""

    def columns(word: str, _tokens) -> map:
        return map(get, grams(word))

    return columns


def _token_columns(get):
    """(word, its tokens) -> the columns of its single tokens."""

    def columns(_word: str, tokens) -> map:
        return map(get, tokens)

    return columns


class WordCache:
    """``of_word(word)``, remembered for words of up to LONGEST_CACHED_WORD characters; bounded like
    ``_score.c``'s cache, in words and in bytes (what ``sys.getsizeof`` counts of each word and its
    answer), and emptied when a new word would pass either bound."""

    def __init__(self, of_word, words=WORD_CACHE_WORDS, max_bytes=WORD_CACHE_BYTES, longest=LONGEST_CACHED_WORD):
        self.of_word, self.words, self.max_bytes, self.longest = of_word, words, max_bytes, longest
        self.held: dict[str, tuple] = {}
        self.bytes = 0

    def __call__(self, word: str) -> tuple[tuple[str, ...], bytes]:
        found = self.held.get(word)
        if found is not None:
            return found
        found = self.of_word(word)
        if len(word) <= self.longest:
            tokens, columns = found
            size = (
                sys.getsizeof(word) + sys.getsizeof(columns) + sys.getsizeof(tokens) + sum(map(sys.getsizeof, tokens))
            )
            if len(self.held) >= self.words or self.bytes + size > self.max_bytes:
                self.held.clear()
                self.bytes = 0
            self.held[word] = found
            self.bytes += size
        return found


class Analyzers:
    """scikit-learn's analyzers for all the vectorizers, rewritten to work a word at a time.

    A char_wb n-gram never crosses a space, and neither does a token of the default pattern, so most
    of a text's columns are the sum of its words': each distinct (lowercased, whitespace-separated)
    word's columns and tokens are looked up once and cached. Only the word n-grams of two or more
    tokens are looked up per text. Vectorizer p's columns start at ``offsets[p]``.
    """

    def __init__(self, vectorizers: list[Vectorizer], offsets):
        # of_word: (word, its tokens) -> columns, cached per word; tries: the word n-grams of n >= 2.
        # per_word describes of_word for _score.CompiledModel: (char_wb?, min_n, max_n, {n-gram: column}).
        self.of_word, self.per_word, self.tries = [], [], []
        self.needs_tokens = False
        for vectorizer, offset in zip(vectorizers, offsets):
            columns = {gram: column + int(offset) for column, gram in enumerate(vectorizer.vocabulary)}
            min_n, max_n = vectorizer.ngram_range
            if vectorizer.analyzer == "char_wb":
                self.of_word.append(_char_wb_columns(_char_wb_grams(min_n, max_n), columns.get))
                self.per_word.append((True, min_n, max_n, columns))
            else:
                self.needs_tokens = True
                if min_n == 1:
                    self.of_word.append(_token_columns(columns.get))
                    self.per_word.append((False, 1, 1, columns))
                if max_n >= 2:
                    self.tries.append(word_ngram_trie(vectorizer.vocabulary, int(offset), max(min_n, 2), max_n))
        self.per_word, self.tries = tuple(self.per_word), tuple(self.tries)
        self.word = WordCache(self._word)

    def _word(self, word: str) -> tuple[tuple[str, ...], bytes]:
        """One word's tokens (if a vectorizer needs them) and its columns in every per-word vectorizer."""
        tokens = tuple(_tokens_of(word)) if self.needs_tokens else ()
        found = [column for columns in self.of_word for column in columns(word, tokens) if column is not None]
        return tokens, _int64_bytes(found)

    def column_bytes(self, text: str) -> bytes:
        """Every known n-gram occurrence of ``text`` as its feature column (in no particular order)."""
        # char_wb's words: scikit-learn collapses runs of whitespace, then splits on whitespace
        words = list(map(self.word, text.lower().split()))
        pieces = [columns for _, columns in words]
        if self.tries:
            tokens = [token for its_tokens, _ in words for token in its_tokens]
            pieces += [_int64_bytes(trie_columns(trie, tokens)) for trie in self.tries]
        return b"".join(pieces)

    def columns_of(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """All the texts' columns one after another, and ``bounds``: text t's columns are
        ``columns[bounds[t]:bounds[t + 1]]``."""
        found = list(map(self.column_bytes, texts))
        bounds = np.cumsum([0, *map(len, found)], dtype=np.int64) // 8  # 8 bytes per int64
        return np.frombuffer(b"".join(found), dtype=np.int64), bounds
