"""The fast path's first part: scikit-learn's analyzers, rewritten to work a word at a time.

They find the same n-grams as the fitted vectorizers (tests/test_fastpath.py checks them on every
message, for the default pipeline and eight variants) and give each occurrence's feature column as
the raw bytes of int64s, which the kernels (``fastpath_kernels``) read in place.
"""

from __future__ import annotations

import re
from array import array
from functools import lru_cache

import numpy as np

# Distinct words whose char_wb columns are kept per worker (the least recently used go first).
# Messages reuse a small vocabulary (the collection has 13,627 distinct words), so nearly every
# word of a new message has been seen before.
WORD_CACHE_SIZE = 20_000


def _int64_bytes(columns) -> bytes:
    """Columns as the raw bytes of an int64 array: a text's pieces are then joined by one
    ``b"".join`` and read in place by the compiled code, far cheaper per request than numpy calls."""
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


def _plain(vectorizer) -> bool:
    return (
        vectorizer.input == "content"
        and vectorizer.lowercase
        and vectorizer.strip_accents is None
        and vectorizer.preprocessor is None
    )


# scikit-learn's default token pattern: runs of two or more word characters. Whitespace is never a
# word character, so a text's tokens are its whitespace-separated words' tokens, in order.
DEFAULT_TOKEN_PATTERN = r"(?u)\b\w\w+\b"
_tokens_of = re.compile(DEFAULT_TOKEN_PATTERN).findall


def _token_ngrams(vocabulary: dict, offset: int, min_n: int, max_n: int):
    """``tokens -> columns`` of the word n-grams in ``vocabulary`` for n in [min_n, max_n], n >= 2.

    The n-grams are kept as a trie of their tokens (``{token: [column or None, {next token: ...} or
    None]}``) and looked up from each token of a text: the tokens come from the word cache with their
    hashes already computed, so no n-gram string is built or hashed per request.
    """
    trie: dict = {}
    for gram, column in vocabulary.items():
        tokens = gram.split(" ")  # a token of the default pattern never holds a space
        if min_n <= len(tokens) <= max_n:
            children = trie
            for token in tokens[:-1]:
                node = children.setdefault(token, [None, None])
                if node[1] is None:  # a leaf so far: it gets children
                    node[1] = {}
                children = node[1]
            children.setdefault(tokens[-1], [None, None])[0] = int(column + offset)

    def columns(tokens: list[str]) -> list[int]:
        found, n = [], len(tokens)
        for start in range(n - 1):
            node, end = trie.get(tokens[start]), start + 1
            while node is not None and node[1] is not None and end < n:
                node = node[1].get(tokens[end])
                if node is not None and node[0] is not None:
                    found.append(node[0])
                end += 1
        return found

    return columns


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


def _text_columns(analyze, get):
    """text -> the columns of what scikit-learn's own ``analyze`` makes of it."""

    def columns(text: str) -> map:
        return map(get, analyze(text))

    return columns


class Analyzers:
    """scikit-learn's analyzers for all the vectorizers, rewritten to work a word at a time.

    A char_wb n-gram never crosses a space, and neither does a token of the default pattern, so most
    of a text's columns are the sum of its words': each distinct (lowercased, whitespace-separated)
    word's columns and tokens are looked up once and cached. Only the word n-grams of two or more
    tokens are looked up per text; a vectorizer of any other kind uses scikit-learn's own analyzer.
    """

    def __init__(self, vectorizers, offsets):
        # of_word: (word, its tokens) -> columns, cached per word; of_tokens: the text's tokens -> columns
        self.of_word, self.of_tokens, self.of_text = [], [], []
        self.needs_tokens = False
        for vectorizer, offset in zip(vectorizers, offsets):
            get = {gram: int(column + offset) for gram, column in vectorizer.vocabulary_.items()}.get
            min_n, max_n = vectorizer.ngram_range
            if vectorizer.analyzer == "char_wb" and _plain(vectorizer):
                self.of_word.append(_char_wb_columns(_char_wb_grams(min_n, max_n), get))
            elif (
                vectorizer.analyzer == "word"
                and _plain(vectorizer)
                and vectorizer.tokenizer is None
                and vectorizer.stop_words is None
                and vectorizer.token_pattern == DEFAULT_TOKEN_PATTERN
            ):
                self.needs_tokens = True
                if min_n == 1:
                    self.of_word.append(_token_columns(get))
                if max_n >= 2:
                    self.of_tokens.append(_token_ngrams(vectorizer.vocabulary_, offset, max(min_n, 2), max_n))
            else:
                self.of_text.append(_text_columns(vectorizer.build_analyzer(), get))
        self.word = lru_cache(maxsize=WORD_CACHE_SIZE)(self._word)

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
        if self.of_tokens:
            tokens = [token for its_tokens, _ in words for token in its_tokens]
            pieces += [_int64_bytes(columns(tokens)) for columns in self.of_tokens]
        pieces += [_int64_bytes(c for c in columns(text) if c is not None) for columns in self.of_text]
        return b"".join(pieces)

    def columns_of(self, texts: list[str]) -> tuple[bytes, np.ndarray]:
        """All the texts' column bytes one after another, and ``bounds``: text t's columns are
        ``[bounds[t]:bounds[t + 1]]`` of the int64s."""
        found = list(map(self.column_bytes, texts))
        bounds = np.cumsum([0, *map(len, found)], dtype=np.int64) // 8  # 8 bytes per int64
        return b"".join(found), bounds
