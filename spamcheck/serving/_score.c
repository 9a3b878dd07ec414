/* spamcheck.serving._score: the served model's per-message work, compiled (built by setup.py).
 *
 * probabilities(texts, word, tries, table, part_ends, bias) -> list of P(spam), one per text.
 *
 * It does what linear_model.LinearModel.predict does with the numpy kernel, without a Python loop
 * over a text's words, tokens or n-grams: each text is lowercased and split on whitespace (str's
 * own methods), each word goes through ``word`` (the analyzers' cached Python function: the word's
 * tokens and the int64 feature columns of its n-grams), the tokens through the word n-gram ``tries``
 * (as analyzers.trie_columns walks them), and the columns through the arithmetic of
 * kernels.probabilities: counts, 1 + log(tf) times IDF, L2 norm per part, each calibrated SVM's
 * decision value and sigmoid, their mean. The n-grams are still found by Python (``word``), so they
 * are scikit-learn's by the same code as without this module; only the loops are compiled.
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

/* A growable array, reused from text to text within one call. */
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

/* The model's arrays, read through the buffer protocol (numpy arrays, or anything that has one). */
typedef struct {
    Py_buffer table, part_ends, bias;
    const double *rows, *biases;
    const int64_t *ends;
    Py_ssize_t n_features, width, n_parts, n_svms;
    double *squares, *dots; /* per text: per part, the sum of squares and the SVMs' dot products */
} Model;

/* A buffer's format is one native or little-endian item of one of ``kinds``, ``size`` bytes each. */
static int has_format(const Py_buffer *view, const char *kinds, Py_ssize_t size)
{
    const char *format = view->format ? view->format : "B";
    if (*format == '@' || *format == '=' || *format == '<')
        format++;
    return format[0] != '\0' && format[1] == '\0' && strchr(kinds, format[0]) != NULL && view->itemsize == size;
}

static void model_release(Model *m)
{
    PyMem_Free(m->squares);
    PyMem_Free(m->dots);
    if (m->table.obj)
        PyBuffer_Release(&m->table);
    if (m->part_ends.obj)
        PyBuffer_Release(&m->part_ends);
    if (m->bias.obj)
        PyBuffer_Release(&m->bias);
}

static int model_read(Model *m, PyObject *table, PyObject *part_ends, PyObject *bias)
{
    const int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT;
    if (PyObject_GetBuffer(table, &m->table, flags) < 0 || PyObject_GetBuffer(part_ends, &m->part_ends, flags) < 0
        || PyObject_GetBuffer(bias, &m->bias, flags) < 0)
        return -1;
    if (m->table.ndim != 2 || !has_format(&m->table, "d", 8) || m->bias.ndim != 1 || !has_format(&m->bias, "d", 8)
        || m->part_ends.ndim != 1 || !has_format(&m->part_ends, "lq", 8)) {
        PyErr_SetString(PyExc_TypeError, "table and bias must be float64 arrays of 2 and 1 dimensions, part_ends int64");
        return -1;
    }
    m->rows = m->table.buf;
    m->n_features = m->table.shape[0];
    m->width = m->table.shape[1];
    m->biases = m->bias.buf;
    m->n_svms = m->bias.shape[0];
    m->ends = m->part_ends.buf;
    m->n_parts = m->part_ends.shape[0];
    if (m->n_svms < 1 || m->width != 1 + m->n_svms || m->n_parts < 1 || m->ends[m->n_parts - 1] != m->n_features) {
        PyErr_Format(PyExc_ValueError,
                     "a table of %zd x %zd, %zd biases and %zd parts ending at %lld do not fit together",
                     m->n_features, m->width, m->n_svms, m->n_parts, (long long)m->ends[m->n_parts - 1]);
        return -1;
    }
    m->squares = PyMem_Malloc(sizeof(double) * (size_t)m->n_parts);
    m->dots = PyMem_Malloc(sizeof(double) * (size_t)(m->n_parts * m->n_svms));
    if (m->squares == NULL || m->dots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* Per feature column, its count in the text being scored: zero between texts. One per process,
 * grown to the largest model scored; only used where no Python code runs, so the GIL guards it. */
static uint32_t *counts;
static Py_ssize_t counts_size;

/* P(spam) of one text from its n-gram occurrences (``columns``, overwritten); -1 with an exception
 * set for a column outside the table. Counting in ``counts`` instead of sorting the columns keeps it
 * linear (a text has hundreds of n-gram occurrences). */
static double probability(Model *m, int64_t *columns, Py_ssize_t n)
{
    if (counts_size < m->n_features) {
        uint32_t *grown = PyMem_Realloc(counts, sizeof(uint32_t) * (size_t)m->n_features);
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1.0;
        }
        memset(grown + counts_size, 0, sizeof(uint32_t) * (size_t)(m->n_features - counts_size));
        counts = grown;
        counts_size = m->n_features;
    }
    Py_ssize_t distinct = 0; /* the distinct columns move to the front of ``columns``, in first-seen order */
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t column = columns[i];
        if (column < 0 || column >= m->n_features) {
            for (Py_ssize_t d = 0; d < distinct; d++)
                counts[columns[d]] = 0;
            PyErr_Format(PyExc_ValueError, "feature column %lld is outside the model's %zd", (long long)column,
                         m->n_features);
            return -1.0;
        }
        if (counts[column]++ == 0)
            columns[distinct++] = column;
    }
    memset(m->squares, 0, sizeof(double) * (size_t)m->n_parts);
    memset(m->dots, 0, sizeof(double) * (size_t)(m->n_parts * m->n_svms));
    for (Py_ssize_t d = 0; d < distinct; d++) {
        int64_t column = columns[d];
        uint32_t count = counts[column];
        counts[column] = 0;
        Py_ssize_t part = 0;
        while (column >= m->ends[part]) /* parts are consecutive ranges of columns */
            part++;
        const double *row = m->rows + column * m->width;
        double value = row[0] * (1.0 + log((double)count)); /* sublinear tf times IDF */
        double *dots = m->dots + part * m->n_svms;
        m->squares[part] += value * value;
        for (Py_ssize_t k = 0; k < m->n_svms; k++)
            dots[k] += value * row[1 + k];
    }
    double total = 0.0;
    for (Py_ssize_t k = 0; k < m->n_svms; k++) {
        double z = m->biases[k];
        for (Py_ssize_t p = 0; p < m->n_parts; p++)
            if (m->squares[p] > 0.0)
                z += m->dots[p * m->n_svms + k] / sqrt(m->squares[p]);
        total += 1.0 / (1.0 + exp(z)); /* the sigmoid calibration: 1 / (1 + exp(a * f + b)) */
    }
    return total / (double)m->n_svms;
}

/* Append the columns of the word n-grams found in ``trie`` (see analyzers._word_ngram_trie: a dict of
 * token -> [column or None, dict of next tokens or None]) from each token of ``tokens``. */
static int walk_trie(PyObject *trie, PyObject **tokens, Py_ssize_t n, Growable *columns)
{
    for (Py_ssize_t start = 0; start + 1 < n; start++) {
        PyObject *node = PyDict_GetItemWithError(trie, tokens[start]);
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
                if (column == -1 && PyErr_Occurred())
                    return -1;
                if (reserve(columns, 1) < 0)
                    return -1;
                ((int64_t *)columns->items)[columns->size++] = column;
            }
        }
        if (PyErr_Occurred())
            return -1;
    }
    return 0;
}

static PyObject *lower_name, *split_name;

/* One text's n-gram occurrences into ``columns`` (emptied first). ``held`` keeps the word results
 * whose tokens ``tokens`` borrows. */
static int text_columns(PyObject *text, PyObject *word, PyObject *tries, Growable *columns, Growable *tokens,
                        PyObject *held)
{
    columns->size = tokens->size = 0;
    if (PyList_SetSlice(held, 0, PyList_GET_SIZE(held), NULL) < 0)
        return -1;
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "a message must be a str, not %.100s", Py_TYPE(text)->tp_name);
        return -1;
    }
    /* as analyzers.Analyzers.column_bytes: text.lower().split() */
    PyObject *lowered = PyObject_CallMethodNoArgs(text, lower_name);
    if (lowered == NULL)
        return -1;
    PyObject *words = PyObject_CallMethodNoArgs(lowered, split_name);
    Py_DECREF(lowered);
    if (words == NULL)
        return -1;
    for (Py_ssize_t w = 0; w < PyList_GET_SIZE(words); w++) {
        PyObject *found = PyObject_CallOneArg(word, PyList_GET_ITEM(words, w));
        if (found == NULL || PyList_Append(held, found) < 0) {
            Py_XDECREF(found);
            Py_DECREF(words);
            return -1;
        }
        Py_DECREF(found); /* ``held`` keeps it */
        PyObject *its_tokens, *its_columns;
        if (!PyTuple_Check(found) || PyTuple_GET_SIZE(found) != 2 || !PyTuple_Check(its_tokens = PyTuple_GET_ITEM(found, 0))
            || !PyBytes_Check(its_columns = PyTuple_GET_ITEM(found, 1)) || PyBytes_GET_SIZE(its_columns) % 8) {
            PyErr_SetString(PyExc_TypeError, "word() must return (a tuple of tokens, int64 columns as bytes)");
            Py_DECREF(words);
            return -1;
        }
        Py_ssize_t n_columns = PyBytes_GET_SIZE(its_columns) / 8, n_tokens = PyTuple_GET_SIZE(its_tokens);
        if (reserve(columns, n_columns) < 0 || reserve(tokens, n_tokens) < 0) {
            Py_DECREF(words);
            return -1;
        }
        memcpy((int64_t *)columns->items + columns->size, PyBytes_AS_STRING(its_columns), (size_t)n_columns * 8);
        columns->size += n_columns;
        for (Py_ssize_t t = 0; t < n_tokens; t++)
            ((PyObject **)tokens->items)[tokens->size++] = PyTuple_GET_ITEM(its_tokens, t);
    }
    Py_DECREF(words);
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(tries); i++) {
        PyObject *trie = PyTuple_GET_ITEM(tries, i);
        if (!PyDict_Check(trie)) {
            PyErr_SetString(PyExc_TypeError, "tries must be a tuple of dicts");
            return -1;
        }
        if (walk_trie(trie, (PyObject **)tokens->items, tokens->size, columns) < 0)
            return -1;
    }
    return 0;
}

static PyObject *probabilities(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError, "probabilities(texts, word, tries, table, part_ends, bias) takes 6 arguments");
        return NULL;
    }
    PyObject *texts = args[0], *word = args[1], *tries = args[2];
    if (!PyList_Check(texts) || !PyCallable_Check(word) || !PyTuple_Check(tries)) {
        PyErr_SetString(PyExc_TypeError, "texts must be a list, word a callable and tries a tuple");
        return NULL;
    }
    Model model = {0};
    Growable columns = {.item_size = sizeof(int64_t)}, tokens = {.item_size = sizeof(PyObject *)};
    PyObject *held = PyList_New(0), *result = NULL;
    if (held == NULL || model_read(&model, args[3], args[4], args[5]) < 0)
        goto done;
    result = PyList_New(PyList_GET_SIZE(texts));
    if (result == NULL)
        goto done;
    for (Py_ssize_t t = 0; t < PyList_GET_SIZE(result); t++) {
        double p;
        if (t >= PyList_GET_SIZE(texts)) { /* ``word`` is Python code: it could have shortened the list */
            PyErr_SetString(PyExc_RuntimeError, "the list of texts changed while it was being scored");
            goto fail;
        }
        PyObject *text = PyList_GET_ITEM(texts, t);
        Py_INCREF(text);
        int ok = text_columns(text, word, tries, &columns, &tokens, held);
        Py_DECREF(text);
        if (ok < 0 || ((p = probability(&model, columns.items, columns.size)) < 0.0 && PyErr_Occurred()))
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
    Py_XDECREF(held);
    PyMem_Free(columns.items);
    PyMem_Free(tokens.items);
    model_release(&model);
    return result;
}

static PyMethodDef methods[] = {
    {"probabilities", (PyCFunction)(void (*)(void))probabilities, METH_FASTCALL,
     "probabilities(texts, word, tries, table, part_ends, bias) -> list of P(spam), one per text"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_score", "The served model's per-message loops, compiled (see _score.c).", -1, methods,
};

PyMODINIT_FUNC PyInit__score(void)
{
    lower_name = PyUnicode_InternFromString("lower");
    split_name = PyUnicode_InternFromString("split");
    if (lower_name == NULL || split_name == NULL)
        return NULL;
    return PyModule_Create(&module);
}
