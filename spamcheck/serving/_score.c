/* spamcheck.serving._score: the served model's per-message work, compiled (built by setup.py).
 *
 * Scorer(per_word, tries, table, part_ends, bias, cache_size): made once per loaded model.
 *   .probabilities(texts) -> list of P(spam), one per text
 *   .word(word) -> (its tokens, the int64 feature columns of its n-grams as bytes, each token's node
 *                   in each trie), cached
 *   .columns(text) -> the int64 columns of all of a text's n-grams as bytes (what tests compare)
 *
 * It does what linear_model.LinearModel.predict does with the Python analyzers and numpy's kernel,
 * without a Python loop: each text is lowercased and split on whitespace (str's own methods); each
 * word's tokens (runs of two or more word characters, what scikit-learn's default token pattern
 * (?u)\b\w\w+\b finds, with the re module's \w) and the columns of its char_wb n-grams and single
 * tokens are found once and cached (``per_word``: for each such vectorizer, whether it is char_wb,
 * its n-gram range and its vocabulary as a dict of n-gram -> column); the tokens go through the word
 * n-gram ``tries`` (as analyzers.trie_columns walks them); and the columns through the arithmetic
 * of kernels.probabilities: counts, 1 + log(tf) times IDF, L2 norm per part, each calibrated SVM's
 * decision value and sigmoid, their mean. tests/test_linear_model.py holds it to scikit-learn and to
 * the Python analyzers on every message.
 *
 * ``table`` is float64 of shape (features, 1 + SVMs): a feature's IDF, then its scaled weights;
 * ``part_ends`` int64, the end of each vectorizer's columns; ``bias`` float64, one per SVM.
 * Nothing it is given is trusted blindly: a column outside the table, or arrays of the wrong type
 * or shape, raise an exception instead of reading outside memory.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* A growable array, reused from text to text within one call (see Work). */
typedef struct {
    void *items;
    Py_ssize_t size, capacity, item_size;
} Growable;

static int reserve(Growable *a, Py_ssize_t more)
{
    if (a->size + more <= a->capacity)
        return 0;
    Py_ssize_t capacity = a->capacity ? a->capacity : 256;
    while (capacity < a->size + more)
        capacity *= 2;
    void *items = PyMem_Realloc(a->items, (size_t)(capacity * a->item_size));
    if (items == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    a->items = items;
    a->capacity = capacity;
    return 0;
}

static int append_column(Growable *columns, long long column)
{
    if (reserve(columns, 1) < 0)
        return -1;
    ((int64_t *)columns->items)[columns->size++] = column;
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

static int64_t grams_find(const Grams *g, uint64_t hash, const Py_UCS4 *codes, Py_ssize_t length)
{
    uint32_t tag = (uint32_t)(hash >> 32);
    for (size_t i = (size_t)hash & g->mask;; i = (i + 1) & g->mask) {
        const Slot *slot = &g->slots[i];
        if (slot->column < 0)
            return -1;
        if (slot->tag == tag && slot->length == length) {
            const Py_UCS4 *stored = g->pool + slot->start;
            Py_ssize_t c = 0;
            while (c < length && stored[c] == codes[c])
                c++;
            if (c == length)
                return slot->column;
        }
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
    size_t size = 16;
    while (size < 2 * (size_t)PyDict_GET_SIZE(vocabulary)) /* at most half full */
        size *= 2;
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
    PyObject *vocabulary; /* dict: n-gram -> column */
    Grams grams;          /* char_wb: the vocabulary as a table of code points */
} PerWord;

typedef struct {
    PyObject_HEAD
    PerWord *per_word;
    Py_ssize_t n_per_word;
    int needs_tokens;
    PyObject *tries;  /* tuple of dicts: token -> [column or None, dict of next tokens or None] */
    PyObject *cache;  /* dict: word -> (tokens, columns as bytes, trie nodes); emptied at cache_size */
    Py_ssize_t cache_size;
    PyObject *lower, *split;
    Py_buffer table, part_ends, bias;
    const double *rows, *biases;
    const int64_t *ends;
    Py_ssize_t n_features, width, n_parts, n_svms;
    /* Scratch of probability(), which runs no Python code, so no other thread can enter it meanwhile:
     * per part, the sum of squares and the SVMs' dot products; per feature column, its count in the
     * text being scored (zero between texts). */
    double *squares, *dots;
    uint32_t *counts;
} Scorer;

/* One call's scratch space, on its own stack: Python code (a finalizer run by the garbage collector)
 * may let another thread into the same Scorer while a call is under way (gunicorn's gthread workers). */
typedef struct {
    Growable columns, tokens, firsts; /* a text's n-gram columns, its tokens, and each token's trie nodes */
    Growable word_columns;            /* a new word's columns */
} Work;

static void work_init(Work *w)
{
    memset(w, 0, sizeof(*w));
    w->columns.item_size = w->word_columns.item_size = sizeof(int64_t);
    w->tokens.item_size = w->firsts.item_size = sizeof(PyObject *);
}

static void work_free(Work *w)
{
    PyMem_Free(w->columns.items);
    PyMem_Free(w->tokens.items);
    PyMem_Free(w->firsts.items);
    PyMem_Free(w->word_columns.items);
}

static int scorer_traverse(Scorer *self, visitproc visit, void *arg)
{
    for (Py_ssize_t i = 0; i < self->n_per_word; i++)
        Py_VISIT(self->per_word[i].vocabulary);
    Py_VISIT(self->tries);
    Py_VISIT(self->cache);
    return 0;
}

static int scorer_clear(Scorer *self)
{
    for (Py_ssize_t i = 0; i < self->n_per_word; i++)
        Py_CLEAR(self->per_word[i].vocabulary);
    Py_CLEAR(self->tries);
    Py_CLEAR(self->cache);
    return 0;
}

static void scorer_dealloc(Scorer *self)
{
    PyObject_GC_UnTrack(self);
    scorer_clear(self);
    Py_XDECREF(self->lower);
    Py_XDECREF(self->split);
    if (self->table.obj)
        PyBuffer_Release(&self->table);
    if (self->part_ends.obj)
        PyBuffer_Release(&self->part_ends);
    if (self->bias.obj)
        PyBuffer_Release(&self->bias);
    for (Py_ssize_t i = 0; self->per_word != NULL && i < self->n_per_word; i++)
        grams_free(&self->per_word[i].grams);
    PyMem_Free(self->per_word);
    PyMem_Free(self->squares);
    PyMem_Free(self->dots);
    PyMem_Free(self->counts);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int read_arrays(Scorer *self, PyObject *table, PyObject *part_ends, PyObject *bias)
{
    const int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT;
    if (PyObject_GetBuffer(table, &self->table, flags) < 0 || PyObject_GetBuffer(part_ends, &self->part_ends, flags) < 0
        || PyObject_GetBuffer(bias, &self->bias, flags) < 0)
        return -1;
    if (self->table.ndim != 2 || !has_format(&self->table, "d", 8) || self->bias.ndim != 1
        || !has_format(&self->bias, "d", 8) || self->part_ends.ndim != 1 || !has_format(&self->part_ends, "lq", 8)) {
        PyErr_SetString(PyExc_TypeError, "table and bias must be float64 arrays of 2 and 1 dimensions, part_ends int64");
        return -1;
    }
    self->rows = self->table.buf;
    self->n_features = self->table.shape[0];
    self->width = self->table.shape[1];
    self->biases = self->bias.buf;
    self->n_svms = self->bias.shape[0];
    self->ends = self->part_ends.buf;
    self->n_parts = self->part_ends.shape[0];
    if (self->n_svms < 1 || self->width != 1 + self->n_svms || self->n_parts < 1
        || self->ends[self->n_parts - 1] != self->n_features) {
        PyErr_Format(PyExc_ValueError, "a table of %zd x %zd, %zd biases and %zd parts do not fit together",
                     self->n_features, self->width, self->n_svms, self->n_parts);
        return -1;
    }
    for (Py_ssize_t p = 1; p < self->n_parts; p++)
        if (self->ends[p] < self->ends[p - 1] || self->ends[0] < 0) {
            PyErr_SetString(PyExc_ValueError, "part_ends must be increasing");
            return -1;
        }
    self->squares = PyMem_Calloc((size_t)self->n_parts, sizeof(double));
    self->dots = PyMem_Calloc((size_t)(self->n_parts * self->n_svms), sizeof(double));
    self->counts = PyMem_Calloc((size_t)self->n_features, sizeof(uint32_t));
    if (self->squares == NULL || self->dots == NULL || self->counts == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static int read_per_word(Scorer *self, PyObject *per_word)
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
        v->vocabulary = Py_NewRef(vocabulary);
        self->needs_tokens |= !v->char_wb;
        if (v->char_wb && grams_build(&v->grams, vocabulary) < 0)
            return -1;
    }
    return 0;
}

static PyObject *scorer_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"per_word", "tries", "table", "part_ends", "bias", "cache_size", NULL};
    PyObject *per_word, *tries, *table, *part_ends, *bias;
    Py_ssize_t cache_size;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO!OOOn", keywords, &per_word, &PyTuple_Type, &tries, &table,
                                     &part_ends, &bias, &cache_size))
        return NULL;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(tries); i++)
        if (!PyDict_Check(PyTuple_GET_ITEM(tries, i))) {
            PyErr_SetString(PyExc_TypeError, "tries must be a tuple of dicts");
            return NULL;
        }
    if (cache_size < 1) {
        PyErr_SetString(PyExc_ValueError, "cache_size must be at least 1");
        return NULL;
    }
    Scorer *self = (Scorer *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->tries = Py_NewRef(tries);
    self->needs_tokens = PyTuple_GET_SIZE(tries) > 0; /* and read_per_word adds the token vectorizers */
    self->cache_size = cache_size;
    self->cache = PyDict_New();
    self->lower = PyUnicode_InternFromString("lower");
    self->split = PyUnicode_InternFromString("split");
    if (self->cache == NULL || self->lower == NULL || self->split == NULL
        || read_per_word(self, per_word) < 0 || read_arrays(self, table, part_ends, bias) < 0) {
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

/* Look ``gram`` up in ``vocabulary`` and append its column, if it has one. */
static int look_up(PyObject *vocabulary, PyObject *gram, Growable *columns)
{
    PyObject *column = PyDict_GetItemWithError(vocabulary, gram);
    if (column == NULL)
        return PyErr_Occurred() ? -1 : 0;
    long long value = PyLong_AsLongLong(column);
    if (value == -1 && PyErr_Occurred())
        return -1;
    return append_column(columns, value);
}

/* The char_wb n-grams of one word, as scikit-learn makes them: the word padded with one space, every
 * n-gram for n in the range shorter than the padded word, and the padded word once as a whole when
 * it is no longer than the largest n. */
static int char_wb_columns(const PerWord *v, PyObject *word, Growable *columns)
{
    Py_UCS4 small[64], *padded = small;
    Py_ssize_t length = PyUnicode_GET_LENGTH(word) + 2;
    if (length > 64 && (padded = PyMem_Malloc(sizeof(Py_UCS4) * (size_t)length)) == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    padded[0] = padded[length - 1] = ' ';
    int status = PyUnicode_AsUCS4(word, padded + 1, length - 2, 0) == NULL ? -1 : 0;
    Py_ssize_t longest = v->max_n < length - 1 ? v->max_n : length - 1; /* the n-grams shorter than the word */
    for (Py_ssize_t i = 0; i < length && status == 0; i++) {
        uint64_t hash = fnv_start();
        for (Py_ssize_t n = 1; n <= longest && i + n <= length; n++) {
            hash = fnv_step(hash, padded[i + n - 1]);
            int64_t column;
            if (n >= v->min_n && (column = grams_find(&v->grams, hash, padded + i, n)) >= 0 && append_column(columns, column) < 0) {
                status = -1;
                break;
            }
        }
    }
    if (status == 0 && v->max_n >= length) { /* the whole padded word, once */
        uint64_t hash = fnv_start();
        for (Py_ssize_t c = 0; c < length; c++)
            hash = fnv_step(hash, padded[c]);
        int64_t column = grams_find(&v->grams, hash, padded, length);
        if (column >= 0 && append_column(columns, column) < 0)
            status = -1;
    }
    if (padded != small)
        PyMem_Free(padded);
    return status;
}

/* A new (tokens, columns as bytes, each token's node in each trie) for one lowercased word. */
static PyObject *word_entry(Scorer *self, Work *work, PyObject *word)
{
    PyObject *tokens = PyList_New(0), *entry = NULL;
    if (tokens == NULL)
        return NULL;
    if (self->needs_tokens) {
        Py_ssize_t length = PyUnicode_GET_LENGTH(word);
        int kind = PyUnicode_KIND(word);
        const void *data = PyUnicode_DATA(word);
        for (Py_ssize_t i = 0; i < length;) {
            Py_ssize_t j = i;
            while (j < length && is_word_character(PyUnicode_READ(kind, data, j)))
                j++;
            if (j - i >= 2) {
                PyObject *token = PyUnicode_Substring(word, i, j);
                if (token == NULL || PyList_Append(tokens, token) < 0) {
                    Py_XDECREF(token);
                    goto done;
                }
                Py_DECREF(token);
            }
            i = j > i ? j : i + 1;
        }
    }
    Growable *columns = &work->word_columns;
    columns->size = 0;
    for (Py_ssize_t p = 0; p < self->n_per_word; p++) {
        const PerWord *v = &self->per_word[p];
        if (v->char_wb) {
            if (char_wb_columns(v, word, columns) < 0)
                goto done;
        }
        else
            for (Py_ssize_t t = 0; t < PyList_GET_SIZE(tokens); t++)
                if (look_up(v->vocabulary, PyList_GET_ITEM(tokens, t), columns) < 0)
                    goto done;
    }
    /* each token's node in each trie (None where no n-gram starts with it): a text's walk starts there */
    Py_ssize_t n_tokens = PyList_GET_SIZE(tokens), n_tries = PyTuple_GET_SIZE(self->tries);
    PyObject *firsts = PyTuple_New(n_tokens * n_tries);
    if (firsts == NULL)
        goto done;
    for (Py_ssize_t t = 0; t < n_tokens; t++)
        for (Py_ssize_t k = 0; k < n_tries; k++) {
            PyObject *node = PyDict_GetItemWithError(PyTuple_GET_ITEM(self->tries, k), PyList_GET_ITEM(tokens, t));
            if (node == NULL && PyErr_Occurred()) {
                Py_DECREF(firsts);
                goto done;
            }
            PyTuple_SET_ITEM(firsts, t * n_tries + k, Py_NewRef(node ? node : Py_None));
        }
    PyObject *as_tuple = PyList_AsTuple(tokens);
    if (as_tuple == NULL) {
        Py_DECREF(firsts);
        goto done;
    }
    entry = Py_BuildValue("(Ny#N)", as_tuple, (const char *)columns->items, columns->size * (Py_ssize_t)sizeof(int64_t),
                          firsts);
done:
    Py_DECREF(tokens);
    return entry;
}

/* The cached (tokens, columns, trie nodes) of one lowercased word: a borrowed reference, valid until the cache
 * is next changed (callers keep a reference of their own when they need it longer). */
static PyObject *cached_word(Scorer *self, Work *work, PyObject *word)
{
    PyObject *entry = PyDict_GetItemWithError(self->cache, word);
    if (entry != NULL || PyErr_Occurred())
        return entry;
    if (!PyUnicode_Check(word)) {
        PyErr_Format(PyExc_TypeError, "a word must be a str, not %.100s", Py_TYPE(word)->tp_name);
        return NULL;
    }
    entry = word_entry(self, work, word);
    if (entry == NULL)
        return NULL;
    if (PyDict_GET_SIZE(self->cache) >= self->cache_size) /* bounded: start again rather than grow */
        PyDict_Clear(self->cache);
    int status = PyDict_SetItem(self->cache, word, entry);
    Py_DECREF(entry);
    return status < 0 ? NULL : entry; /* the cache holds it */
}

/* Append the columns of the word n-grams of trie ``k`` (of ``n_tries``) found from each of ``tokens``
 * (the walk of analyzers.trie_columns); ``firsts`` holds each token's node in each trie, or None. */
static int walk_trie(Py_ssize_t k, Py_ssize_t n_tries, PyObject **tokens, PyObject **firsts, Py_ssize_t n,
                     Growable *columns)
{
    for (Py_ssize_t start = 0; start + 1 < n; start++) {
        PyObject *node = firsts[start * n_tries + k];
        if (node == Py_None)
            continue;
        for (Py_ssize_t end = start + 1; node != NULL && end < n; end++) {
            if (!PyList_Check(node) || PyList_GET_SIZE(node) != 2) {
                PyErr_SetString(PyExc_TypeError, "a trie node must be a list [column or None, children or None]");
                return -1;
            }
            PyObject *children = PyList_GET_ITEM(node, 1);
            if (children == Py_None)
                break;
            if (!PyDict_Check(children)) {
                PyErr_SetString(PyExc_TypeError, "a trie node's children must be a dict or None");
                return -1;
            }
            node = PyDict_GetItemWithError(children, tokens[end]);
            if (node != NULL && PyList_Check(node) && PyList_GET_SIZE(node) == 2 && PyList_GET_ITEM(node, 0) != Py_None) {
                long long column = PyLong_AsLongLong(PyList_GET_ITEM(node, 0));
                if ((column == -1 && PyErr_Occurred()) || append_column(columns, column) < 0)
                    return -1;
            }
        }
        if (PyErr_Occurred())
            return -1;
    }
    return 0;
}

/* One text's n-gram occurrences into work->columns. ``held`` keeps the word entries whose tokens
 * work->tokens borrows (the cache may be emptied while a text is scored). */
static int text_columns(Scorer *self, Work *work, PyObject *text, PyObject *held)
{
    work->columns.size = work->tokens.size = work->firsts.size = 0;
    Py_ssize_t n_tries = PyTuple_GET_SIZE(self->tries);
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "a message must be a str, not %.100s", Py_TYPE(text)->tp_name);
        return -1;
    }
    /* as analyzers.Analyzers.column_bytes: text.lower().split() */
    PyObject *lowered = PyObject_CallMethodNoArgs(text, self->lower);
    if (lowered == NULL)
        return -1;
    PyObject *words = PyObject_CallMethodNoArgs(lowered, self->split);
    Py_DECREF(lowered);
    if (words == NULL)
        return -1;
    int status = 0;
    for (Py_ssize_t w = 0; w < PyList_GET_SIZE(words) && status == 0; w++) {
        PyObject *entry = cached_word(self, work, PyList_GET_ITEM(words, w));
        if (entry == NULL || PyList_Append(held, entry) < 0) {
            status = -1;
            break;
        }
        PyObject *its_tokens = PyTuple_GET_ITEM(entry, 0), *its_columns = PyTuple_GET_ITEM(entry, 1);
        PyObject *its_firsts = PyTuple_GET_ITEM(entry, 2);
        Py_ssize_t n_columns = PyBytes_GET_SIZE(its_columns) / 8, n_tokens = PyTuple_GET_SIZE(its_tokens);
        if (reserve(&work->columns, n_columns) < 0 || reserve(&work->tokens, n_tokens) < 0
            || reserve(&work->firsts, n_tokens * n_tries) < 0) {
            status = -1;
            break;
        }
        memcpy((int64_t *)work->columns.items + work->columns.size, PyBytes_AS_STRING(its_columns), (size_t)n_columns * 8);
        work->columns.size += n_columns;
        for (Py_ssize_t t = 0; t < n_tokens; t++)
            ((PyObject **)work->tokens.items)[work->tokens.size++] = PyTuple_GET_ITEM(its_tokens, t);
        for (Py_ssize_t f = 0; f < n_tokens * n_tries; f++)
            ((PyObject **)work->firsts.items)[work->firsts.size++] = PyTuple_GET_ITEM(its_firsts, f);
    }
    Py_DECREF(words);
    for (Py_ssize_t k = 0; k < n_tries && status == 0; k++)
        status = walk_trie(k, n_tries, work->tokens.items, work->firsts.items, work->tokens.size, &work->columns);
    return status;
}

#ifndef __GNUC__
#define __builtin_prefetch(...) ((void)0)
#endif
#define PREFETCH 8 /* how far ahead the loops below ask for memory */

/* P(spam) of the text whose n-gram occurrences are in ``found`` (overwritten); -1 with an
 * exception set for a column outside the table. Counting in self->counts instead of sorting the
 * columns keeps it linear (a text has hundreds of n-gram occurrences). */
static double probability(Scorer *self, Growable *found)
{
    int64_t *columns = found->items;
    Py_ssize_t n = found->size, distinct = 0; /* distinct columns move to the front, first seen first */
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t column = columns[i];
        if (i + PREFETCH < n && columns[i + PREFETCH] >= 0 && columns[i + PREFETCH] < self->n_features)
            __builtin_prefetch(self->counts + columns[i + PREFETCH], 1);
        if (column < 0 || column >= self->n_features) {
            for (Py_ssize_t d = 0; d < distinct; d++)
                self->counts[columns[d]] = 0;
            PyErr_Format(PyExc_ValueError, "feature column %lld is outside the model's %zd", (long long)column,
                         self->n_features);
            return -1.0;
        }
        if (self->counts[column]++ == 0)
            columns[distinct++] = column;
    }
    memset(self->squares, 0, sizeof(double) * (size_t)self->n_parts);
    memset(self->dots, 0, sizeof(double) * (size_t)(self->n_parts * self->n_svms));
    for (Py_ssize_t d = 0; d < distinct; d++) {
        int64_t column = columns[d];
        if (d + PREFETCH < distinct) /* the rows are spread over megabytes: ask for one ahead of use */
            __builtin_prefetch(self->rows + columns[d + PREFETCH] * self->width);
        uint32_t count = self->counts[column];
        self->counts[column] = 0;
        Py_ssize_t part = 0;
        while (column >= self->ends[part]) /* parts are consecutive ranges of columns */
            part++;
        const double *row = self->rows + column * self->width;
        double value = count == 1 ? row[0] : row[0] * (1.0 + log((double)count)); /* sublinear tf times IDF */
        double *dots = self->dots + part * self->n_svms;
        self->squares[part] += value * value;
        for (Py_ssize_t k = 0; k < self->n_svms; k++)
            dots[k] += value * row[1 + k];
    }
    double total = 0.0;
    for (Py_ssize_t k = 0; k < self->n_svms; k++) {
        double z = self->biases[k];
        for (Py_ssize_t p = 0; p < self->n_parts; p++)
            if (self->squares[p] > 0.0)
                z += self->dots[p * self->n_svms + k] / sqrt(self->squares[p]);
        total += 1.0 / (1.0 + exp(z)); /* the sigmoid calibration: 1 / (1 + exp(a * f + b)) */
    }
    return total / (double)self->n_svms;
}

static PyObject *scorer_probabilities(Scorer *self, PyObject *texts)
{
    /* a tuple: a list could change under us while Python code runs in another thread */
    PyObject *sequence = PyTuple_Check(texts) ? Py_NewRef(texts) : PySequence_Tuple(texts);
    if (sequence == NULL)
        return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(sequence);
    PyObject *held = PyList_New(0), *result = PyList_New(n);
    Work work;
    work_init(&work);
    if (held == NULL || result == NULL)
        goto fail;
    for (Py_ssize_t t = 0; t < n; t++) {
        double p;
        if (PyList_SetSlice(held, 0, PyList_GET_SIZE(held), NULL) < 0
            || text_columns(self, &work, PyTuple_GET_ITEM(sequence, t), held) < 0
            || ((p = probability(self, &work.columns)) < 0.0 && PyErr_Occurred()))
            goto fail;
        PyObject *value = PyFloat_FromDouble(p);
        if (value == NULL)
            goto fail;
        PyList_SET_ITEM(result, t, value);
    }
    goto done;
fail:
    Py_CLEAR(result);
done:
    work_free(&work);
    Py_XDECREF(held);
    Py_DECREF(sequence);
    return result;
}

static PyObject *scorer_word(Scorer *self, PyObject *word)
{
    Work work;
    work_init(&work);
    PyObject *entry = Py_XNewRef(cached_word(self, &work, word));
    work_free(&work);
    return entry;
}

static PyObject *scorer_columns(Scorer *self, PyObject *text)
{
    PyObject *held = PyList_New(0), *result = NULL;
    Work work;
    work_init(&work);
    if (held != NULL && text_columns(self, &work, text, held) == 0)
        result = PyBytes_FromStringAndSize(work.columns.items, work.columns.size * (Py_ssize_t)sizeof(int64_t));
    work_free(&work);
    Py_XDECREF(held);
    return result;
}

static PyObject *scorer_cache_len(Scorer *self, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromSsize_t(PyDict_GET_SIZE(self->cache));
}

static PyMethodDef scorer_methods[] = {
    {"probabilities", (PyCFunction)scorer_probabilities, METH_O,
     "probabilities(texts) -> list of P(spam), one per text (a sequence of str)"},
    {"word", (PyCFunction)scorer_word, METH_O,
     "word(lowercased_word) -> (its tokens, the int64 columns of its n-grams as bytes, its trie nodes), cached"},
    {"columns", (PyCFunction)scorer_columns, METH_O,
     "columns(text) -> the feature column of every known n-gram occurrence, int64s as bytes (for tests)"},
    {"cached_words", (PyCFunction)scorer_cache_len, METH_NOARGS, "how many words the cache holds"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ScorerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "spamcheck.serving._score.Scorer",
    .tp_doc = "Scorer(per_word, tries, table, part_ends, bias, cache_size): the model's per-message loops, compiled",
    .tp_basicsize = sizeof(Scorer),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = scorer_new,
    .tp_dealloc = (destructor)scorer_dealloc,
    .tp_traverse = (traverseproc)scorer_traverse,
    .tp_clear = (inquiry)scorer_clear,
    .tp_methods = scorer_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_score",
    .m_doc = "The served model's per-message loops, compiled (see _score.c).",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__score(void)
{
    if (PyType_Ready(&ScorerType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObjectRef(m, "Scorer", (PyObject *)&ScorerType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
