/* spamcheck.serving._score: the served model's per-message work, compiled (built by setup.py).
 *
 * CompiledModel(per_word, tries, table, part_ends, bias, cache_words, cache_bytes, longest_cached_word): made
 * once per loaded model.
 *   .probabilities(texts) -> list of P(spam), one per text
 *   .word(word) -> the int64 feature columns of a lowercased word's n-grams as bytes; caches the word
 *   .columns(text) -> the int64 columns of all of a text's n-grams as bytes (what tests compare)
 *   .cache_info() -> {"words", "bytes", "probes"}: what the word cache holds, and the slots its
 *     lookups have read (tests of its bounds and of its key)
 *   .cache_slot(word) -> the slot of the cache's table where a word's lookup starts (tests of its key)
 *
 * It does what npz_model.NpzModel.predict does with the Python analyzers and linear_scores (numpy),
 * with no Python object per word: each text is lowercased by str.lower() and split where str.split()
 * splits (Py_UNICODE_ISSPACE); a word seen before is one lookup in a cache of code points (hashed
 * with SipHash under a secret key of the CompiledModel's own, so that chosen words cannot pile up in one
 * slot, and bounded in words and in bytes; a word longer than ``longest_cached_word`` is scored
 * without being cached); a new word's
 * tokens are the runs of two or more word characters (what scikit-learn's default token pattern
 * (?u)\b\w\w+\b finds, with the re module's \w), and its char_wb n-grams and single tokens are
 * looked up in hash tables of code points made from the vocabularies (``per_word``: for each such
 * vectorizer, whether it is char_wb, its n-gram range, and its vocabulary as a dict of n-gram ->
 * column); the word n-grams come from the text's tokens through the ``tries`` (dicts of token ->
 * [column or None, next tokens or None], walked as analyzers.trie_columns walks them, read once into
 * a table of transitions); and the columns go through the arithmetic of linear_scores.probabilities:
 * counts, 1 + log(tf) times IDF, L2 norm per part, each calibrated SVM's decision value and sigmoid,
 * their mean. That arithmetic is summed per occurrence, so that a cached word carries its sums and
 * only the rows of a text's repeated columns are read again (see n_sums and probability()).
 * tests/test_npz_model.py holds it to scikit-learn and to the Python analyzers on every message.
 *
 * ``table`` is float64 of shape (features, 1 + SVMs): a feature's IDF, then its scaled weights;
 * ``part_ends`` int64, the end of each vectorizer's columns; ``bias`` float64, one per SVM.
 * Nothing it is given is trusted blindly: a column outside the table, or arrays, vocabularies or
 * tries of the wrong type or shape, raise an exception instead of reading outside memory. It reads
 * its own copies of the arrays, so that nothing written into them afterwards reaches it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* A growable array: the scratch of one call (see Work), and the word cache's pools. */
typedef struct {
    void *items;
    Py_ssize_t size, capacity, item_size;
    Py_ssize_t limit; /* the most items it may ever hold (0: no limit): the word cache's budget */
} Growable;

static int reserve(Growable *a, Py_ssize_t more)
{
    if (a->size + more <= a->capacity)
        return 0;
    if (a->limit && a->size + more > a->limit) {
        PyErr_SetString(PyExc_MemoryError, "over the word cache's budget"); /* callers check first */
        return -1;
    }
    Py_ssize_t capacity = a->capacity ? a->capacity : 256;
    while (capacity < a->size + more)
        capacity *= 2;
    if (a->limit && capacity > a->limit) /* doubling must not take it past its budget */
        capacity = a->limit;
    void *items = PyMem_Realloc(a->items, (size_t)(capacity * a->item_size));
    if (items == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    a->items = items;
    a->capacity = capacity;
    return 0;
}

/* Columns are int32 inside (the vocabularies' and tries' columns are checked to fit when read). */
static int append_column(Growable *columns, int64_t column)
{
    if (reserve(columns, 1) < 0)
        return -1;
    ((int32_t *)columns->items)[columns->size++] = (int32_t)column;
    return 0;
}

/* A buffer's format is one native or little-endian item of one of ``kinds``, ``size`` bytes each. */
static int has_format(const Py_buffer *view, const char *kinds, Py_ssize_t size)
{
    const char *format = view->format ? view->format : "B";
    if (*format == '@' || *format == '=' || *format == '<')
        format++;
    return format[0] != '\0' && format[1] == '\0' && strchr(kinds, format[0]) != NULL && view->itemsize == size;
}

/* A char_wb vocabulary as a hash table of code point sequences, so that a new word's n-grams are
 * looked up without making a str of each (open addressing, FNV-1a over the code points). */
typedef struct {
    uint32_t tag;            /* the hash's upper half: most mismatches end here */
    uint32_t start;          /* the n-gram's code points are pool[start:start + length] */
    int32_t length, column;  /* column -1: an empty slot */
} Slot;

typedef struct {
    Slot *slots;
    size_t mask; /* slots - 1, a power of 2 minus 1 */
    Py_UCS4 *pool;
} Grams;

static inline uint64_t fnv_start(void) { return 0xcbf29ce484222325ULL; }
static inline uint64_t fnv_step(uint64_t hash, Py_UCS4 code) { return (hash ^ code) * 0x100000001b3ULL; }

/* The slots of an open-addressing table for ``entries``: a power of 2, at most half full. */
static size_t table_size(Py_ssize_t entries)
{
    size_t size = 16;
    while (size < 2 * (size_t)entries)
        size *= 2;
    return size;
}

static inline int same_codes(const Py_UCS4 *a, const Py_UCS4 *b, Py_ssize_t length)
{
    Py_ssize_t c = 0;
    while (c < length && a[c] == b[c])
        c++;
    return c == length;
}

static int64_t grams_find(const Grams *g, uint64_t hash, const Py_UCS4 *codes, Py_ssize_t length)
{
    uint32_t tag = (uint32_t)(hash >> 32);
    for (size_t i = (size_t)hash & g->mask;; i = (i + 1) & g->mask) {
        const Slot *slot = &g->slots[i];
        if (slot->column < 0)
            return -1;
        if (slot->tag == tag && slot->length == length && same_codes(g->pool + slot->start, codes, length))
            return slot->column;
    }
}

static void grams_free(Grams *g)
{
    PyMem_Free(g->slots);
    PyMem_Free(g->pool);
    g->slots = NULL;
    g->pool = NULL;
}

/* The table of a vocabulary dict (str -> int column). */
static int grams_build(Grams *g, PyObject *vocabulary)
{
    Py_ssize_t position = 0, codes = 0, used = 0;
    PyObject *key, *value;
    while (PyDict_Next(vocabulary, &position, &key, &value)) {
        if (!PyUnicode_Check(key) || !PyLong_Check(value)) {
            PyErr_SetString(PyExc_TypeError, "a vocabulary maps str n-grams to int columns");
            return -1;
        }
        codes += PyUnicode_GET_LENGTH(key);
    }
    if (codes >= INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "a char_wb vocabulary of over 2**31 code points");
        return -1;
    }
    size_t size = table_size(PyDict_GET_SIZE(vocabulary));
    g->mask = size - 1;
    g->slots = PyMem_Malloc(size * sizeof(Slot));
    g->pool = PyMem_Malloc(sizeof(Py_UCS4) * (size_t)(codes + 1));
    if (g->slots == NULL || g->pool == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < size; i++)
        g->slots[i].column = -1;
    position = 0;
    while (PyDict_Next(vocabulary, &position, &key, &value)) {
        Py_ssize_t length = PyUnicode_GET_LENGTH(key);
        long long column = PyLong_AsLongLong(value);
        if ((column == -1 && PyErr_Occurred()) || column < 0 || column > INT32_MAX) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "a vocabulary's column must be in [0, 2**31)");
            return -1;
        }
        if (PyUnicode_AsUCS4(key, g->pool + used, codes + 1 - used, 0) == NULL)
            return -1;
        uint64_t hash = fnv_start();
        for (Py_ssize_t c = 0; c < length; c++)
            hash = fnv_step(hash, g->pool[used + c]);
        size_t i = (size_t)hash & g->mask;
        while (g->slots[i].column >= 0)
            i = (i + 1) & g->mask;
        g->slots[i] = (Slot){(uint32_t)(hash >> 32), (uint32_t)used, (int32_t)length, (int32_t)column};
        used += length;
    }
    return 0;
}

/* One vectorizer whose columns are found word by word: char_wb n-grams, or single tokens. */
typedef struct {
    int char_wb;
    Py_ssize_t min_n, max_n;
    Grams grams; /* the vocabulary as a table of code points */
} PerWord;

/* The word n-gram tries, as one table of transitions: (node, token id) -> the n-gram's column (or
 * -1) and the node it leads to (or -1 where no longer n-gram goes on). Trie k's root is node k. */
typedef struct {
    uint64_t key; /* node << 32 | token id; 0 marks an empty slot (no node 0 is ever entered twice) */
    int32_t column, child;
} Step;

typedef struct {
    Step *slots;
    size_t mask;
} Steps;

static inline uint64_t mix64(uint64_t x) /* splitmix64's finaliser: the keys are small integers */
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static inline uint64_t step_key(int32_t node, int32_t token) { return ((uint64_t)(uint32_t)node << 32 | (uint32_t)token) + 1; }

static const Step *steps_find(const Steps *t, int32_t node, int32_t token)
{
    uint64_t key = step_key(node, token);
    for (size_t i = (size_t)mix64(key) & t->mask;; i = (i + 1) & t->mask) {
        if (t->slots[i].key == key)
            return &t->slots[i];
        if (t->slots[i].key == 0)
            return NULL;
    }
}

/* The cache of words seen: a word's code points -> its sums, its columns and its tokens' ids (-1: a
 * token no word n-gram holds), with no Python object. Each word is one Record in ``pool``, its parts
 * side by side, so that a lookup reads one place: the Record, the word's code points (padded to 8
 * bytes), its sums (n_sums doubles), its columns, its tokens' ids. ``slots`` is an open-addressing
 * table of (tag, record), indexed by the word's SipHash under the CompiledModel's secret key. The cache is
 * emptied when a new word would take it past ``cache_words`` words or past its budget in bytes (the
 * pool's ``limit``): emptying is simpler than evicting, and as bounded. */
typedef struct {
    int32_t key_length, n_columns, n_tokens, padding; /* 16 bytes: the parts after it are 8-byte aligned */
} Record;

typedef struct {
    uint32_t tag;   /* the word's hash's upper half: most mismatches end here */
    int32_t record; /* its offset in the pool, in 8 bytes; -1: an empty slot */
} CacheSlot;

typedef struct {
    CacheSlot *slots;
    size_t mask;
    Py_ssize_t words; /* how many it holds */
    Growable pool;    /* the records, in units of 8 bytes (uint64_t); pool.limit: the budget */
    uint64_t probes;  /* slots read by lookups, in all (cache_info: what tests of the key count) */
} WordCache;

typedef struct {
    PyObject_HEAD
    PerWord *per_word;
    Py_ssize_t n_per_word;
    int needs_tokens;
    Py_ssize_t n_tries;
    Grams token_ids; /* every token of a word n-gram -> its id */
    Steps steps;
    WordCache cache;
    Py_ssize_t cache_words, longest_cached_word;
    uint64_t key[2]; /* the word cache's SipHash key, from os.urandom for each CompiledModel: no one who does
                      * not know it can choose words that pile up in one slot (hash flooding) */
    PyObject *lower;
    const double *rows, *biases; /* the CompiledModel's own copies of the arrays it was given */
    const int64_t *ends;
    Py_ssize_t n_features, width, n_parts, n_svms;
    /* Scratch of probability(), which runs no Python code, so no other thread can enter it meanwhile:
     * per feature column, its count in the text being scored (zero between texts). */
    uint32_t *counts;
} CompiledModel;

/* A text's or a word's sums, ``n_parts * width`` doubles: per part, the sum of its values' squares,
 * then each SVM's dot product. Summed per occurrence of a column (its IDF, as if each occurred once),
 * so that a cached word's sums are added whole; probability() then corrects the columns that occur
 * more than once to 1 + log(count) times the IDF (sublinear tf). */
static inline Py_ssize_t n_sums(const CompiledModel *self) { return self->n_parts * self->width; }

#ifndef __GNUC__
#define __builtin_prefetch(...) ((void)0)
#endif
#define PREFETCH 8 /* how far ahead the loops over a text's columns ask for memory */

/* One word of a text: where it is, and its hash with the cache's key. */
typedef struct {
    Py_ssize_t start, end;
    uint64_t hash;
} Span;

/* One call's scratch space, on its own stack: text.lower() is Python's, and while it runs another
 * thread may enter the same CompiledModel (gunicorn's gthread workers). */
typedef struct {
    Growable spans;                      /* a text's words */
    Growable columns, tokens;            /* a text's n-gram columns and its tokens' ids */
    Growable sums;                       /* a text's sums, each column counted once per occurrence */
    Growable word_columns, word_tokens;  /* a new word's */
    Growable padded;                     /* a new word padded with spaces, as code points */
    Growable record;                     /* the Record of a word too long to cache (8-byte units) */
} Work;

static void work_init(Work *w)
{
    memset(w, 0, sizeof(*w));
    w->spans.item_size = sizeof(Span);
    w->columns.item_size = w->word_columns.item_size = sizeof(int32_t);
    w->sums.item_size = sizeof(double);
    w->tokens.item_size = w->word_tokens.item_size = sizeof(int32_t);
    w->padded.item_size = sizeof(Py_UCS4);
    w->record.item_size = sizeof(uint64_t);
}

static void work_free(Work *w)
{
    PyMem_Free(w->spans.items);
    PyMem_Free(w->columns.items);
    PyMem_Free(w->tokens.items);
    PyMem_Free(w->sums.items);
    PyMem_Free(w->word_columns.items);
    PyMem_Free(w->word_tokens.items);
    PyMem_Free(w->padded.items);
    PyMem_Free(w->record.items);
}

/* memcpy of n int32s: memcpy must not be given a null pointer, even for nothing (a scratch array
 * that never grew has none). */
static inline void copy_ints(int32_t *to, const int32_t *from, Py_ssize_t n)
{
    if (n > 0)
        memcpy(to, from, sizeof(int32_t) * (size_t)n);
}

/* Append n int32s to a growable array (nothing at all for none: its items may still be NULL). */
static int append_ints(Growable *a, const int32_t *from, Py_ssize_t n)
{
    if (n == 0)
        return 0;
    if (reserve(a, n) < 0)
        return -1;
    copy_ints((int32_t *)a->items + a->size, from, n);
    a->size += n;
    return 0;
}

static void model_dealloc(CompiledModel *self)
{
    Py_XDECREF(self->lower);
    PyMem_Free((void *)self->rows);
    PyMem_Free((void *)self->ends);
    PyMem_Free((void *)self->biases);
    for (Py_ssize_t i = 0; self->per_word != NULL && i < self->n_per_word; i++)
        grams_free(&self->per_word[i].grams);
    PyMem_Free(self->per_word);
    grams_free(&self->token_ids);
    PyMem_Free(self->steps.slots);
    PyMem_Free(self->cache.slots);
    PyMem_Free(self->cache.pool.items);
    PyMem_Free(self->counts);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* A copy of a buffer's bytes (NULL with an exception if there is no memory). */
static void *copied(const Py_buffer *view)
{
    void *copy = PyMem_Malloc(view->len > 0 ? (size_t)view->len : 1);
    if (copy == NULL)
        PyErr_NoMemory();
    else if (view->len > 0)
        memcpy(copy, view->buf, (size_t)view->len);
    return copy;
}

/* Check the arrays, then keep copies of them: the CompiledModel reads them through raw pointers, and the
 * caller's arrays stay writable from Python (part_ends[-1] = 0 would send part_of past its end). */
static int read_arrays(CompiledModel *self, PyObject *table, PyObject *part_ends, PyObject *bias)
{
    const int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT;
    Py_buffer views[3] = {{0}};
    int status = -1;
    if (PyObject_GetBuffer(table, &views[0], flags) < 0 || PyObject_GetBuffer(part_ends, &views[1], flags) < 0
        || PyObject_GetBuffer(bias, &views[2], flags) < 0)
        goto done;
    if (views[0].ndim != 2 || !has_format(&views[0], "d", 8) || views[2].ndim != 1 || !has_format(&views[2], "d", 8)
        || views[1].ndim != 1 || !has_format(&views[1], "lq", 8)) {
        PyErr_SetString(PyExc_TypeError, "table and bias must be float64 arrays of 2 and 1 dimensions, part_ends int64");
        goto done;
    }
    self->n_features = views[0].shape[0];
    self->width = views[0].shape[1];
    self->n_svms = views[2].shape[0];
    self->n_parts = views[1].shape[0];
    const int64_t *ends = views[1].buf;
    if (self->n_svms < 1 || self->width != 1 + self->n_svms || self->n_parts < 1
        || ends[self->n_parts - 1] != self->n_features) {
        PyErr_Format(PyExc_ValueError, "a table of %zd x %zd, %zd biases and %zd parts do not fit together",
                     self->n_features, self->width, self->n_svms, self->n_parts);
        goto done;
    }
    for (Py_ssize_t p = 0; p < self->n_parts; p++)
        if (ends[p] < (p ? ends[p - 1] : 0)) {
            PyErr_SetString(PyExc_ValueError, "part_ends must be increasing");
            goto done;
        }
    if ((self->rows = copied(&views[0])) == NULL || (self->ends = copied(&views[1])) == NULL
        || (self->biases = copied(&views[2])) == NULL)
        goto done;
    self->counts = PyMem_Calloc((size_t)self->n_features, sizeof(uint32_t));
    if (self->counts == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    status = 0;
done:
    for (int i = 0; i < 3; i++)
        if (views[i].obj)
            PyBuffer_Release(&views[i]);
    return status;
}

static int read_per_word(CompiledModel *self, PyObject *per_word)
{
    if (!PyTuple_Check(per_word)) {
        PyErr_SetString(PyExc_TypeError, "per_word must be a tuple of (char_wb, min_n, max_n, vocabulary)");
        return -1;
    }
    self->n_per_word = PyTuple_GET_SIZE(per_word);
    self->per_word = PyMem_Calloc((size_t)self->n_per_word + 1, sizeof(PerWord));
    if (self->per_word == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < self->n_per_word; i++) {
        PerWord *v = &self->per_word[i];
        PyObject *vocabulary;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(per_word, i), "pnnO!", &v->char_wb, &v->min_n, &v->max_n, &PyDict_Type,
                              &vocabulary))
            return -1;
        if (v->min_n < 1 || v->max_n < v->min_n || (!v->char_wb && v->max_n != 1)) {
            PyErr_SetString(PyExc_ValueError, "an n-gram range must be 1 <= min_n <= max_n, and (1, 1) for tokens");
            return -1;
        }
        self->needs_tokens |= !v->char_wb;
        if (grams_build(&v->grams, vocabulary) < 0)
            return -1;
    }
    return 0;
}

/* Trie k's transitions into ``steps`` (a Growable of Step) from ``children`` (a dict of token ->
 * [column or None, dict of next tokens or None]) at ``node``; tokens get ids from ``ids``. */
static int read_trie(PyObject *children, int32_t node, PyObject *ids, Growable *steps, int32_t *next_node, int depth)
{
    Py_ssize_t position = 0;
    PyObject *token, *value;
    if (depth > 64) {
        PyErr_SetString(PyExc_ValueError, "a word n-gram trie deeper than 64 tokens");
        return -1;
    }
    while (PyDict_Next(children, &position, &token, &value)) {
        if (!PyUnicode_Check(token) || !PyList_Check(value) || PyList_GET_SIZE(value) != 2
            || (PyList_GET_ITEM(value, 0) != Py_None && !PyLong_Check(PyList_GET_ITEM(value, 0)))
            || (PyList_GET_ITEM(value, 1) != Py_None && !PyDict_Check(PyList_GET_ITEM(value, 1)))) {
            PyErr_SetString(PyExc_TypeError, "a trie node must be a list [column or None, children or None] under a str");
            return -1;
        }
        PyObject *id = PyDict_GetItemWithError(ids, token);
        if (id == NULL) {
            if (PyErr_Occurred() || (id = PyLong_FromSsize_t(PyDict_GET_SIZE(ids))) == NULL)
                return -1;
            int status = PyDict_SetItem(ids, token, id);
            Py_DECREF(id);
            if (status < 0)
                return -1;
        }
        long long column = -1;
        if (PyList_GET_ITEM(value, 0) != Py_None) {
            column = PyLong_AsLongLong(PyList_GET_ITEM(value, 0));
            if ((column == -1 && PyErr_Occurred()) || column < 0 || column > INT32_MAX) {
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_ValueError, "a trie's column must be in [0, 2**31)");
                return -1;
            }
        }
        PyObject *grandchildren = PyList_GET_ITEM(value, 1);
        int32_t child = grandchildren == Py_None ? -1 : (*next_node)++;
        if (reserve(steps, 1) < 0)
            return -1;
        uint64_t key = ((uint64_t)(uint32_t)node << 32 | (uint32_t)PyLong_AsLong(id)) + 1;
        ((Step *)steps->items)[steps->size++] = (Step){key, (int32_t)column, child};
        if (child >= 0 && read_trie(grandchildren, child, ids, steps, next_node, depth + 1) < 0)
            return -1;
    }
    return 0;
}

static int read_tries(CompiledModel *self, PyObject *tries)
{
    self->n_tries = PyTuple_GET_SIZE(tries);
    PyObject *ids = PyDict_New();
    Growable steps = {.item_size = sizeof(Step)};
    int32_t next_node = (int32_t)self->n_tries;
    int status = ids == NULL ? -1 : 0;
    for (Py_ssize_t k = 0; k < self->n_tries && status == 0; k++) {
        if (!PyDict_Check(PyTuple_GET_ITEM(tries, k))) {
            PyErr_SetString(PyExc_TypeError, "tries must be a tuple of dicts");
            status = -1;
        }
        else
            status = read_trie(PyTuple_GET_ITEM(tries, k), (int32_t)k, ids, &steps, &next_node, 1);
    }
    if (status == 0)
        status = grams_build(&self->token_ids, ids);
    if (status == 0) {
        size_t size = table_size(steps.size);
        self->steps.mask = size - 1;
        self->steps.slots = PyMem_Calloc(size, sizeof(Step)); /* key 0: empty */
        if (self->steps.slots == NULL) {
            PyErr_NoMemory();
            status = -1;
        }
        for (Py_ssize_t i = 0; i < steps.size && status == 0; i++) {
            Step step = ((Step *)steps.items)[i];
            size_t slot = (size_t)mix64(step.key) & self->steps.mask;
            while (self->steps.slots[slot].key != 0)
                slot = (slot + 1) & self->steps.mask;
            self->steps.slots[slot] = step;
        }
    }
    Py_XDECREF(ids);
    PyMem_Free(steps.items);
    return status;
}

static void cache_clear(WordCache *c)
{
    for (size_t i = 0; i <= c->mask; i++)
        c->slots[i].record = -1;
    c->words = c->pool.size = 0;
}

static int cache_init(WordCache *c, Py_ssize_t words, Py_ssize_t bytes)
{
    size_t size = table_size(words);
    c->mask = size - 1;
    c->slots = PyMem_Malloc(size * sizeof(CacheSlot));
    if (c->slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    c->pool.item_size = sizeof(uint64_t);
    c->pool.limit = bytes / (Py_ssize_t)sizeof(uint64_t);
    cache_clear(c);
    return 0;
}

/* A secret SipHash key for the word cache, from os.urandom: each CompiledModel its own. */
static int random_key(uint64_t key[2])
{
    PyObject *os = PyImport_ImportModule("os");
    PyObject *bytes = os == NULL ? NULL : PyObject_CallMethod(os, "urandom", "n", (Py_ssize_t)16);
    Py_XDECREF(os);
    if (bytes == NULL)
        return -1;
    int status = PyBytes_Check(bytes) && PyBytes_GET_SIZE(bytes) == 16 ? 0 : -1;
    if (status == 0)
        memcpy(key, PyBytes_AS_STRING(bytes), 16);
    else
        PyErr_SetString(PyExc_RuntimeError, "os.urandom(16) did not answer 16 bytes");
    Py_DECREF(bytes);
    return status;
}

static PyObject *model_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"per_word",    "tries",       "table", "part_ends", "bias", "cache_words",
                               "cache_bytes", "longest_cached_word", NULL};
    PyObject *per_word, *tries, *table, *part_ends, *bias;
    Py_ssize_t cache_words, cache_bytes, longest_cached_word;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO!OOOnnn", keywords, &per_word, &PyTuple_Type, &tries, &table,
                                     &part_ends, &bias, &cache_words, &cache_bytes, &longest_cached_word))
        return NULL;
    if (cache_words < 1 || cache_words > INT32_MAX / 4) {
        PyErr_SetString(PyExc_ValueError, "cache_words must be at least 1 (and below 2**29)");
        return NULL;
    }
    if (cache_bytes < 1024 || cache_bytes / 8 > INT32_MAX) { /* records are found by an int32 offset */
        PyErr_SetString(PyExc_ValueError, "cache_bytes must be at least 1024 (and below 2**34)");
        return NULL;
    }
    if (longest_cached_word < 0) {
        PyErr_SetString(PyExc_ValueError, "longest_cached_word must not be negative");
        return NULL;
    }
    CompiledModel *self = (CompiledModel *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->needs_tokens = PyTuple_GET_SIZE(tries) > 0; /* and read_per_word adds the token vectorizers */
    self->cache_words = cache_words;
    self->longest_cached_word = longest_cached_word;
    self->lower = PyUnicode_InternFromString("lower");
    if (self->lower == NULL || random_key(self->key) < 0 || cache_init(&self->cache, cache_words, cache_bytes) < 0
        || read_tries(self, tries) < 0 || read_per_word(self, per_word) < 0
        || read_arrays(self, table, part_ends, bias) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

/* re's \w for str patterns: alphanumeric or the underscore. */
static inline int is_word_character(Py_UCS4 ch)
{
    return Py_UNICODE_ISALNUM(ch) || ch == '_';
}

/* The char_wb n-grams of one word (``padded``: its code points between two spaces), as scikit-learn
 * makes them: every n-gram for n in the range shorter than the padded word, and the padded word once
 * as a whole when it is no longer than the largest n. */
static int char_wb_columns(const PerWord *v, const Py_UCS4 *padded, Py_ssize_t length, Growable *columns)
{
    Py_ssize_t longest = v->max_n < length - 1 ? v->max_n : length - 1; /* the n-grams shorter than the word */
    for (Py_ssize_t i = 0; i < length; i++) {
        uint64_t hash = fnv_start();
        for (Py_ssize_t n = 1; n <= longest && i + n <= length; n++) {
            hash = fnv_step(hash, padded[i + n - 1]);
            int64_t column;
            if (n >= v->min_n && (column = grams_find(&v->grams, hash, padded + i, n)) >= 0
                && append_column(columns, column) < 0)
                return -1;
        }
    }
    if (v->max_n >= length) { /* the whole padded word, once */
        uint64_t hash = fnv_start();
        for (Py_ssize_t c = 0; c < length; c++)
            hash = fnv_step(hash, padded[c]);
        int64_t column = grams_find(&v->grams, hash, padded, length);
        if (column >= 0 && append_column(columns, column) < 0)
            return -1;
    }
    return 0;
}

/* A new word's columns and tokens' ids into work->word_columns and work->word_tokens; the word is
 * work->padded[1:length + 1], between two spaces. */
static int new_word(CompiledModel *self, Work *work, Py_ssize_t length)
{
    const Py_UCS4 *padded = work->padded.items, *word = padded + 1;
    work->word_columns.size = work->word_tokens.size = 0;
    if (self->needs_tokens) /* the runs of two or more word characters */
        for (Py_ssize_t i = 0, j; i < length; i = j > i ? j : i + 1) {
            uint64_t hash = fnv_start();
            for (j = i; j < length && is_word_character(word[j]); j++)
                hash = fnv_step(hash, word[j]);
            if (j - i < 2)
                continue;
            for (Py_ssize_t p = 0; p < self->n_per_word; p++) {
                int64_t column;
                if (!self->per_word[p].char_wb && (column = grams_find(&self->per_word[p].grams, hash, word + i, j - i)) >= 0
                    && append_column(&work->word_columns, column) < 0)
                    return -1;
            }
            if (self->n_tries) {
                int64_t id = grams_find(&self->token_ids, hash, word + i, j - i);
                if (reserve(&work->word_tokens, 1) < 0)
                    return -1;
                ((int32_t *)work->word_tokens.items)[work->word_tokens.size++] = (int32_t)id;
            }
        }
    for (Py_ssize_t p = 0; p < self->n_per_word; p++)
        if (self->per_word[p].char_wb
            && char_wb_columns(&self->per_word[p], padded, length + 2, &work->word_columns) < 0)
            return -1;
    return 0;
}

/* The part (vectorizer) of a column: parts are consecutive ranges of columns. */
static inline Py_ssize_t part_of(const CompiledModel *self, int64_t column)
{
    Py_ssize_t part = 0;
    while (column >= self->ends[part])
        part++;
    return part;
}

/* Add one occurrence of ``column`` to ``sums`` (see n_sums): the IDF's square, and the IDF times each
 * SVM's weight. Every column is checked here, once: -1 with an exception for one outside the table. */
static int add_occurrence(const CompiledModel *self, int64_t column, double *sums)
{
    if (column < 0 || column >= self->n_features) {
        PyErr_Format(PyExc_ValueError, "feature column %lld is outside the model's %zd", (long long)column,
                     self->n_features);
        return -1;
    }
    const double *row = self->rows + column * self->width;
    double *part = sums + part_of(self, column) * self->width;
    part[0] += row[0] * row[0];
    for (Py_ssize_t k = 1; k < self->width; k++)
        part[k] += row[0] * row[k];
    return 0;
}

/* A record's parts (see Record). */
static inline Py_UCS4 *record_key(Record *r) { return (Py_UCS4 *)(r + 1); }
static inline Py_ssize_t key_units(Py_ssize_t key_length) { return (key_length * (Py_ssize_t)sizeof(Py_UCS4) + 7) / 8; }
static inline double *record_sums(Record *r) { return (double *)((uint64_t *)(r + 1) + key_units(r->key_length)); }
static inline int32_t *record_columns(const CompiledModel *self, Record *r) { return (int32_t *)(record_sums(r) + n_sums(self)); }
static inline int32_t *record_tokens(const CompiledModel *self, Record *r) { return record_columns(self, r) + r->n_columns; }
static inline Record *record_at(const WordCache *c, int32_t offset) { return (Record *)((uint64_t *)c->pool.items + offset); }

/* SipHash-1-3 (what CPython hashes str with), over a word's code points as UCS4 little-endian bytes,
 * under the CompiledModel's key. */
#define ROTATE(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIP_ROUND(v0, v1, v2, v3)                                                                      \
    do {                                                                                               \
        v0 += v1, v1 = ROTATE(v1, 13), v1 ^= v0, v0 = ROTATE(v0, 32);                                  \
        v2 += v3, v3 = ROTATE(v3, 16), v3 ^= v2;                                                       \
        v0 += v3, v3 = ROTATE(v3, 21), v3 ^= v0;                                                       \
        v2 += v1, v1 = ROTATE(v1, 17), v1 ^= v2, v2 = ROTATE(v2, 32);                                  \
    } while (0)

/* The word data[start:end] (a str of ``kind``), hashed with the cache's key. */
static uint64_t word_hash(const CompiledModel *self, int kind, const void *data, Py_ssize_t start, Py_ssize_t end)
{
    uint64_t v0 = self->key[0] ^ 0x736f6d6570736575ULL, v1 = self->key[1] ^ 0x646f72616e646f6dULL;
    uint64_t v2 = self->key[0] ^ 0x6c7967656e657261ULL, v3 = self->key[1] ^ 0x7465646279746573ULL;
    Py_ssize_t k = start;
    for (; k + 1 < end; k += 2) { /* two code points, 8 bytes, a block */
        uint64_t m = (uint64_t)PyUnicode_READ(kind, data, k) | (uint64_t)PyUnicode_READ(kind, data, k + 1) << 32;
        v3 ^= m;
        SIP_ROUND(v0, v1, v2, v3);
        v0 ^= m;
    }
    uint64_t last = (uint64_t)(4 * (end - start)) << 56; /* the length in bytes, and the odd code point */
    if (k < end)
        last |= (uint64_t)PyUnicode_READ(kind, data, k);
    v3 ^= last;
    SIP_ROUND(v0, v1, v2, v3);
    v0 ^= last;
    v2 ^= 0xff;
    SIP_ROUND(v0, v1, v2, v3);
    SIP_ROUND(v0, v1, v2, v3);
    SIP_ROUND(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}

/* Where a word's lookup starts in the cache's table (its hash's low bits; the tag is the high half). */
static inline size_t cache_start(const WordCache *c, uint64_t hash) { return (size_t)hash & c->mask; }

/* The cached word data[start:end] (hashed to ``hash``), or NULL. */
static Record *cache_find(WordCache *c, uint64_t hash, int kind, const void *data, Py_ssize_t start, Py_ssize_t end)
{
    uint32_t tag = (uint32_t)(hash >> 32);
    for (size_t i = cache_start(c, hash);; i = (i + 1) & c->mask) {
        CacheSlot slot = c->slots[i];
        c->probes++;
        if (slot.record < 0)
            return NULL;
        if (slot.tag != tag)
            continue;
        Record *r = record_at(c, slot.record);
        const Py_UCS4 *key = record_key(r);
        Py_ssize_t k = 0;
        while (k < r->key_length && start + k < end && key[k] == PyUnicode_READ(kind, data, start + k))
            k++;
        if (k == r->key_length && start + k == end)
            return r;
    }
}

/* The word data[start:end] (hashed to ``hash``): from the cache, or found (padded with spaces into
 * work->padded, its columns' rows summed) and cached. A word longer than longest_cached_word is
 * not cached: its Record is made in work->record instead (it would take memory in proportion to its
 * length, and real words are far shorter). The Record is valid until the next call. */
static Record *word_record(CompiledModel *self, Work *work, uint64_t hash, int kind, const void *data, Py_ssize_t start,
                           Py_ssize_t end)
{
    WordCache *c = &self->cache;
    Py_ssize_t length = end - start;
    int cached = length <= self->longest_cached_word;
    Record *r = cached ? cache_find(c, hash, kind, data, start, end) : NULL;
    if (r != NULL)
        return r;
    if (reserve(&work->padded, length + 2) < 0)
        return NULL;
    Py_UCS4 *padded = work->padded.items;
    padded[0] = padded[length + 1] = ' ';
    for (Py_ssize_t k = 0; k < length; k++)
        padded[k + 1] = PyUnicode_READ(kind, data, start + k);
    if (new_word(self, work, length) < 0)
        return NULL;
    Py_ssize_t n_columns = work->word_columns.size, n_tokens = work->word_tokens.size;
    if (length > INT32_MAX / 8 || n_columns > INT32_MAX / 8) {
        PyErr_SetString(PyExc_ValueError, "a word too long to score");
        return NULL;
    }
    Py_ssize_t units = (Py_ssize_t)(sizeof(Record) / 8) + key_units(length) + n_sums(self) + (n_columns + n_tokens + 1) / 2;
    cached = cached && units <= c->pool.limit;
    if (cached && (c->words >= self->cache_words || c->pool.size + units > c->pool.limit))
        cache_clear(c); /* full, in words or in bytes: start again rather than grow */
    Growable *into = cached ? &c->pool : &work->record;
    if (!cached)
        work->record.size = 0;
    if (reserve(into, units) < 0)
        return NULL;
    const int32_t *columns = work->word_columns.items;
    for (Py_ssize_t i = 0; i < n_columns; i++) /* the rows are spread over megabytes: ask for them all first */
        if (columns[i] < self->n_features)
            __builtin_prefetch(self->rows + (Py_ssize_t)columns[i] * self->width);
    r = (Record *)((uint64_t *)into->items + into->size);
    *r = (Record){(int32_t)length, (int32_t)n_columns, (int32_t)n_tokens, 0};
    memcpy(record_key(r), padded + 1, sizeof(Py_UCS4) * (size_t)length);
    double *sums = record_sums(r);
    memset(sums, 0, sizeof(double) * (size_t)n_sums(self));
    for (Py_ssize_t i = 0; i < n_columns; i++)
        if (add_occurrence(self, columns[i], sums) < 0)
            return NULL; /* the pool's size is unchanged: the record is dropped */
    copy_ints(record_columns(self, r), columns, n_columns);
    copy_ints(record_tokens(self, r), work->word_tokens.items, n_tokens);
    if (!cached)
        return r;
    size_t i = cache_start(c, hash);
    while (c->slots[i].record >= 0)
        i = (i + 1) & c->mask;
    c->slots[i] = (CacheSlot){(uint32_t)(hash >> 32), (int32_t)c->pool.size};
    c->pool.size += units;
    c->words++;
    return r;
}

/* Append the columns of the word n-grams found from each of a text's tokens (ids; -1: a token no
 * n-gram holds), trie by trie: the walk of analyzers.trie_columns. */
static int walk_tries(const CompiledModel *self, const int32_t *tokens, Py_ssize_t n, Growable *columns)
{
    for (Py_ssize_t k = 0; k < self->n_tries; k++) {
        for (Py_ssize_t start = 0; start + 1 < n; start++) /* the table is megabytes: ask for the first steps together */
            if (tokens[start] >= 0)
                __builtin_prefetch(&self->steps.slots[(size_t)mix64(step_key((int32_t)k, tokens[start])) & self->steps.mask]);
        for (Py_ssize_t start = 0; start + 1 < n; start++) {
            const Step *step = tokens[start] < 0 ? NULL : steps_find(&self->steps, (int32_t)k, tokens[start]);
            for (Py_ssize_t end = start + 1; step != NULL && step->child >= 0 && end < n && tokens[end] >= 0; end++) {
                step = steps_find(&self->steps, step->child, tokens[end]);
                if (step != NULL && step->column >= 0 && append_column(columns, step->column) < 0)
                    return -1;
            }
        }
    }
    return 0;
}

/* One text's n-gram occurrences into work->columns, and their sums into work->sums: as
 * analyzers.Analyzers.column_bytes, the words of text.lower().split(), each word's columns and sums
 * (cached), then the word n-grams of its tokens. The words are looked up in three passes, so that
 * their memory is asked for together rather than waited for one word after another: the words and
 * their hashes (asking for their slots), then the records those slots point to, then the lookups. */
static int text_columns(CompiledModel *self, Work *work, PyObject *text)
{
    work->columns.size = work->tokens.size = work->spans.size = 0;
    if (reserve(&work->sums, n_sums(self)) < 0)
        return -1;
    double *sums = work->sums.items;
    memset(sums, 0, sizeof(double) * (size_t)n_sums(self));
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "a message must be a str, not %.100s", Py_TYPE(text)->tp_name);
        return -1;
    }
    PyObject *lowered = PyObject_CallMethodNoArgs(text, self->lower);
    if (lowered == NULL)
        return -1;
    if (!PyUnicode_Check(lowered)) { /* a str subclass may answer lower() with anything */
        PyErr_Format(PyExc_TypeError, "a message's lower() must return a str, not %.100s", Py_TYPE(lowered)->tp_name);
        Py_DECREF(lowered);
        return -1;
    }
    int kind = PyUnicode_KIND(lowered), status = 0;
    const void *data = PyUnicode_DATA(lowered);
    Py_ssize_t length = PyUnicode_GET_LENGTH(lowered);
    const WordCache *c = &self->cache;
    for (Py_ssize_t i = 0, j; i < length; i = j) {
        while (i < length && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i))) /* str.split()'s whitespace */
            i++;
        if (i == length)
            break;
        for (j = i; j < length && !Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, j)); j++)
            ;
        if (reserve(&work->spans, 1) < 0) {
            status = -1;
            break;
        }
        uint64_t hash = word_hash(self, kind, data, i, j);
        ((Span *)work->spans.items)[work->spans.size++] = (Span){i, j, hash};
        __builtin_prefetch(&c->slots[cache_start(c, hash)]);
    }
    const Span *spans = work->spans.items;
    for (Py_ssize_t w = 0; w < work->spans.size && status == 0; w++) {
        CacheSlot slot = c->slots[cache_start(c, spans[w].hash)];
        if (slot.record >= 0) {
            __builtin_prefetch(record_at(c, slot.record));
            __builtin_prefetch((char *)record_at(c, slot.record) + 64);
        }
    }
    for (Py_ssize_t w = 0; w < work->spans.size && status == 0; w++) {
        Record *r = word_record(self, work, spans[w].hash, kind, data, spans[w].start, spans[w].end);
        if (r == NULL || append_ints(&work->columns, record_columns(self, r), r->n_columns) < 0
            || append_ints(&work->tokens, record_tokens(self, r), r->n_tokens) < 0) {
            status = -1;
            break;
        }
        const double *word_sums = record_sums(r);
        for (Py_ssize_t k = 0; k < n_sums(self); k++)
            sums[k] += word_sums[k];
    }
    Py_DECREF(lowered);
    Py_ssize_t from_words = work->columns.size;
    if (status == 0)
        status = walk_tries(self, work->tokens.items, work->tokens.size, &work->columns);
    for (Py_ssize_t i = from_words; i < work->columns.size && status == 0; i++)
        status = add_occurrence(self, ((const int32_t *)work->columns.items)[i], sums);
    return status;
}

/* 1 + log(n) for the counts most columns have: a table instead of a call (see probability()). */
#define SMALL_COUNTS 64
static double one_plus_log[SMALL_COUNTS];

/* P(spam) of the text in ``work`` (its columns and sums from text_columns, which checked every
 * column). Its sums counted each column once per occurrence; a column that occurs n > 1 times is
 * corrected to (1 + log n) times its IDF, scikit-learn's sublinear tf. Counting in self->counts
 * instead of sorting keeps it linear (a text has hundreds of n-gram occurrences), and only the rows
 * of repeated columns are read (a few dozen, against hundreds of columns). */
static double probability(CompiledModel *self, Work *work)
{
    const int32_t *columns = work->columns.items;
    double *sums = work->sums.items;
    Py_ssize_t n = work->columns.size;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (i + PREFETCH < n)
            __builtin_prefetch(self->counts + columns[i + PREFETCH], 1);
        self->counts[columns[i]]++;
    }
    for (Py_ssize_t i = 0; i < n; i++) { /* a column's first occurrence corrects it and zeroes its count */
        int32_t column = columns[i];
        uint32_t count = self->counts[column];
        self->counts[column] = 0;
        if (count < 2)
            continue;
        const double *row = self->rows + (Py_ssize_t)column * self->width;
        double *part = sums + part_of(self, column) * self->width;
        double tf = count < SMALL_COUNTS ? one_plus_log[count] : 1.0 + log((double)count), idf = row[0];
        part[0] += idf * idf * (tf * tf - (double)count);
        for (Py_ssize_t k = 1; k < self->width; k++)
            part[k] += idf * row[k] * (tf - (double)count);
    }
    double total = 0.0;
    for (Py_ssize_t k = 1; k < self->width; k++) {
        double z = self->biases[k - 1];
        for (Py_ssize_t p = 0; p < self->n_parts; p++) { /* each part's values divided by its L2 norm */
            const double *part = sums + p * self->width;
            if (part[0] > 0.0)
                z += part[k] / sqrt(part[0]);
        }
        total += 1.0 / (1.0 + exp(z)); /* the sigmoid calibration: 1 / (1 + exp(a * f + b)) */
    }
    return total / (double)self->n_svms;
}

/* int32 columns as the bytes of int64s, what .word() and .columns() answer. */
static PyObject *columns_as_bytes(const int32_t *columns, Py_ssize_t n)
{
    PyObject *result = PyBytes_FromStringAndSize(NULL, n * (Py_ssize_t)sizeof(int64_t));
    if (result != NULL) {
        int64_t *out = (int64_t *)PyBytes_AS_STRING(result);
        for (Py_ssize_t i = 0; i < n; i++)
            out[i] = columns[i];
    }
    return result;
}

static PyObject *model_probabilities(CompiledModel *self, PyObject *texts)
{
    /* a tuple: a list could change under us while Python code runs in another thread */
    PyObject *sequence = PyTuple_Check(texts) ? Py_NewRef(texts) : PySequence_Tuple(texts);
    if (sequence == NULL)
        return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(sequence);
    PyObject *result = PyList_New(n);
    Work work;
    work_init(&work);
    for (Py_ssize_t t = 0; t < n && result != NULL; t++) {
        PyObject *value = NULL;
        if (text_columns(self, &work, PyTuple_GET_ITEM(sequence, t)) < 0
            || (value = PyFloat_FromDouble(probability(self, &work))) == NULL)
            Py_CLEAR(result);
        else
            PyList_SET_ITEM(result, t, value);
    }
    work_free(&work);
    Py_DECREF(sequence);
    return result;
}

static PyObject *model_word(CompiledModel *self, PyObject *word)
{
    if (!PyUnicode_Check(word)) {
        PyErr_Format(PyExc_TypeError, "a word must be a str, not %.100s", Py_TYPE(word)->tp_name);
        return NULL;
    }
    Work work;
    work_init(&work);
    PyObject *result = NULL;
    int kind = PyUnicode_KIND(word);
    const void *data = PyUnicode_DATA(word);
    Py_ssize_t length = PyUnicode_GET_LENGTH(word);
    Record *r = word_record(self, &work, word_hash(self, kind, data, 0, length), kind, data, 0, length);
    if (r != NULL)
        result = columns_as_bytes(record_columns(self, r), r->n_columns);
    work_free(&work);
    return result;
}

static PyObject *model_columns(CompiledModel *self, PyObject *text)
{
    PyObject *result = NULL;
    Work work;
    work_init(&work);
    if (text_columns(self, &work, text) == 0)
        result = columns_as_bytes(work.columns.items, work.columns.size);
    work_free(&work);
    return result;
}

static PyObject *model_cache_info(CompiledModel *self, PyObject *Py_UNUSED(ignored))
{
    const WordCache *c = &self->cache;
    return Py_BuildValue("{snsnsK}", "words", c->words, "bytes", c->pool.size * (Py_ssize_t)sizeof(uint64_t), "probes",
                         (unsigned long long)c->probes);
}

static PyObject *model_cache_slot(CompiledModel *self, PyObject *word)
{
    if (!PyUnicode_Check(word)) {
        PyErr_Format(PyExc_TypeError, "a word must be a str, not %.100s", Py_TYPE(word)->tp_name);
        return NULL;
    }
    uint64_t hash = word_hash(self, PyUnicode_KIND(word), PyUnicode_DATA(word), 0, PyUnicode_GET_LENGTH(word));
    return PyLong_FromSize_t(cache_start(&self->cache, hash));
}

static PyMethodDef model_methods[] = {
    {"probabilities", (PyCFunction)model_probabilities, METH_O,
     "probabilities(texts) -> list of P(spam), one per text (a sequence of str)"},
    {"word", (PyCFunction)model_word, METH_O,
     "word(lowercased_word) -> the int64 columns of its n-grams as bytes (the word is cached)"},
    {"columns", (PyCFunction)model_columns, METH_O,
     "columns(text) -> the feature column of every known n-gram occurrence, int64s as bytes (for tests)"},
    {"cache_info", (PyCFunction)model_cache_info, METH_NOARGS,
     "cache_info() -> {'words': held, 'bytes': their records' size, 'probes': slots read by lookups so far}"},
    {"cache_slot", (PyCFunction)model_cache_slot, METH_O,
     "cache_slot(word) -> the slot where the word's lookup starts: where its key puts it (for tests)"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ScorerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "spamcheck.serving._score.CompiledModel",
    .tp_doc = "CompiledModel(per_word, tries, table, part_ends, bias, cache_words, cache_bytes, longest_cached_word): "
              "the model's per-message loops, compiled",
    .tp_basicsize = sizeof(CompiledModel),
    .tp_flags = Py_TPFLAGS_DEFAULT, /* it holds no Python object but an interned str: no cycles */
    .tp_new = model_new,
    .tp_dealloc = (destructor)model_dealloc,
    .tp_methods = model_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_score",
    .m_doc = "The served model's per-message loops, compiled (see _score.c).",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__score(void)
{
    for (int n = 1; n < SMALL_COUNTS; n++)
        one_plus_log[n] = 1.0 + log((double)n);
    if (PyType_Ready(&ScorerType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObjectRef(m, "CompiledModel", (PyObject *)&ScorerType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
