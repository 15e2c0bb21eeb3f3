/* The story clusterer's hot loops, compiled (optional: kiemchung/stories/cluster.py runs its own Python
 * when this module is not built, or when KIEMCHUNG_PURE_PYTHON=1).
 *
 * Each function does what one piece of StoryClusterer does, over the same Python objects (dicts, sets,
 * lists, arrays), and returns the same floats: every sum is taken in the order the Python code takes
 * it, with the same double operations (no fused multiply-add: setup.py builds with
 * -ffp-contract=off), so the stories are the same whichever path runs (tests/test_story_fastscore.py).
 * The GIL is held throughout; the module keeps no state of its own.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdlib.h>

/* ------------------------------------------------------------------ helpers */

/* The clusterer's document frequencies by term: a list of ints, or an array('i') (the story stage's,
 * 4 bytes a term). An array is read through a pointer taken from its buffer, which is released at
 * once: nothing a function of this module runs while it reads df can resize it (df changes only
 * between the clusterer's calls), and the argument tuple keeps it alive. */
typedef struct {
    PyObject *list;  /* the list, or NULL for an array */
    const int *ints;
    Py_ssize_t n;
} df_t;

/* PyArg_ParseTuple converter ("O&") of a df argument into a df_t. */
static int
df_convert(PyObject *obj, void *out)
{
    df_t *df = (df_t *)out;
    if (PyList_Check(obj)) {
        df->list = obj;
        df->ints = NULL;
        df->n = PyList_GET_SIZE(obj);
        return 1;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(obj, &view, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0)
        return 0;
    if (view.itemsize != (Py_ssize_t)sizeof(int) || view.format == NULL || view.format[0] != 'i'
        || view.format[1]) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_TypeError, "df: a list or an array of type 'i' expected");
        return 0;
    }
    df->list = NULL;
    df->ints = (const int *)view.buf;
    df->n = view.len / (Py_ssize_t)sizeof(int);
    PyBuffer_Release(&view);  /* see above */
    return 1;
}

/* df[i], as a double (exact: counts are far below 2**53). */
static int
df_at(const df_t *df, long i, double *out)
{
    if (i < 0 || i >= df->n) {
        PyErr_SetString(PyExc_IndexError, "list index out of range");
        return -1;
    }
    if (df->list == NULL) {
        *out = (double)df->ints[i];
        return 0;
    }
    PyObject *d = PyList_GET_ITEM(df->list, i);
    double x = PyFloat_AsDouble(d);  /* an int: its exact value as a double, as int + float does */
    if (x == -1.0 && PyErr_Occurred())
        return -1;
    *out = x;
    return 0;
}

/* A read-only buffer of an array of the given format ("i" or "f"); 0 on success. */
static int
get_array(PyObject *obj, Py_buffer *view, char code, Py_ssize_t itemsize)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0)
        return -1;
    if (view->itemsize != itemsize || view->format == NULL || view->format[0] != code || view->format[1]) {
        PyBuffer_Release(view);
        PyErr_Format(PyExc_TypeError, "expected an array of type '%c'", code);
        return -1;
    }
    return 0;
}

static PyObject *
attr(PyObject *obj, PyObject *name)
{
    return PyObject_GetAttr(obj, name);
}

/* A story of ``stories`` as a new reference (NULL with an exception set: KeyError when absent).
 * ``stories`` is a dict or the clusterer's table of stories (records._StoryTable, a dict subclass),
 * whose packed dormant stories a dict lookup does not see: they are read through its __missing__,
 * as ``stories[s]`` reads them in Python (the story is then back in the dict). */
static PyObject *
story_get(PyObject *stories, PyObject *key)
{
    PyObject *story = PyDict_GetItemWithError(stories, key);  /* borrowed */
    if (story != NULL) {
        Py_INCREF(story);
        return story;
    }
    if (PyErr_Occurred())
        return NULL;
    if (!PyDict_CheckExact(stories))
        return PyObject_GetItem(stories, key);
    PyErr_SetObject(PyExc_KeyError, key);
    return NULL;
}

/* interned attribute names, looked up once per call (no module state) */
#define NAME(var, text) \
    PyObject *var = PyUnicode_InternFromString(text); \
    if (var == NULL) goto error;

/* ------------------------------------------------------------------ walk */

PyDoc_STRVAR(walk_doc,
"walk(weighted, postings, df, stop_df, query_terms, max_postings) -> dict\n\n"
"The walk over the postings of StoryClusterer._best_story: for the first ``query_terms`` terms of\n"
"``weighted`` ((w, i, tf) tuples) that have postings and are not stopwords, each story of a postings\n"
"set no longer than ``max_postings`` gains ``w``. Returns {story: summed weight} in first-seen order.");

static PyObject *
walk(PyObject *self, PyObject *args)
{
    PyObject *weighted, *postings;
    df_t df;
    double stop_df;
    Py_ssize_t query_terms, max_postings;
    if (!PyArg_ParseTuple(args, "O!O!O&dnn", &PyList_Type, &weighted, &PyDict_Type, &postings,
                          df_convert, &df, &stop_df, &query_terms, &max_postings))
        return NULL;
    PyObject *acc = PyDict_New();
    if (acc == NULL)
        return NULL;
    Py_ssize_t looked = 0, n = PyList_GET_SIZE(weighted);
    for (Py_ssize_t k = 0; k < n; k++) {
        if (looked >= query_terms)
            break;
        PyObject *item = PyList_GET_ITEM(weighted, k);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) < 2) {
            PyErr_SetString(PyExc_TypeError, "weighted: (w, i, tf) tuples expected");
            goto error;
        }
        PyObject *iobj = PyTuple_GET_ITEM(item, 1);
        PyObject *plist = PyDict_GetItemWithError(postings, iobj);  /* borrowed */
        if (plist == NULL) {
            if (PyErr_Occurred())
                goto error;
            continue;
        }
        Py_ssize_t size = PyObject_Size(plist);
        if (size < 0)
            goto error;
        if (size == 0)
            continue;
        long i = PyLong_AsLong(iobj);
        if (i == -1 && PyErr_Occurred())
            goto error;
        double d;
        if (df_at(&df, i, &d) < 0)
            goto error;
        if (d > stop_df)
            continue;
        looked++;
        if (size > max_postings)
            continue;
        double w = PyFloat_AsDouble(PyTuple_GET_ITEM(item, 0));
        if (w == -1.0 && PyErr_Occurred())
            goto error;
        Py_INCREF(plist);  /* held while iterated */
        PyObject *it = PyObject_GetIter(plist);
        if (it == NULL) {
            Py_DECREF(plist);
            goto error;
        }
        PyObject *s;
        while ((s = PyIter_Next(it)) != NULL) {
            PyObject *old = PyDict_GetItemWithError(acc, s);
            double v = 0.0;
            if (old != NULL) {
                v = PyFloat_AsDouble(old);
                if (v == -1.0 && PyErr_Occurred()) {
                    Py_DECREF(s);
                    break;
                }
            }
            else if (PyErr_Occurred()) {
                Py_DECREF(s);
                break;
            }
            PyObject *nv = PyFloat_FromDouble(v + w);
            if (nv == NULL || PyDict_SetItem(acc, s, nv) < 0) {
                Py_XDECREF(nv);
                Py_DECREF(s);
                break;
            }
            Py_DECREF(nv);
            Py_DECREF(s);
        }
        Py_DECREF(it);
        Py_DECREF(plist);
        if (PyErr_Occurred())
            goto error;
    }
    return acc;
error:
    Py_DECREF(acc);
    return NULL;
}

/* ------------------------------------------------------------------ select */

typedef struct {
    double v;      /* the summed index weight, then (normalised) the ranking score */
    long long s;   /* story number */
    PyObject *key; /* the story number as the acc dict holds it (a new reference) */
} Cand;

/* highest value first, then the lower story number (Python: tuples (v, -s), highest first) */
static int
cand_cmp(const void *a, const void *b)
{
    const Cand *x = a, *y = b;
    if (x->v > y->v) return -1;
    if (x->v < y->v) return 1;
    if (x->s < y->s) return -1;
    if (x->s > y->s) return 1;
    return 0;
}

/* a story's first or last time: None (1, as "no time") or a float */
static int
story_time(PyObject *story, PyObject *name, double *out, int *none)
{
    PyObject *t = attr(story, name);
    if (t == NULL)
        return -1;
    if (t == Py_None) {
        *none = 1;
        Py_DECREF(t);
        return 0;
    }
    *out = PyFloat_AsDouble(t);
    Py_DECREF(t);
    if (*out == -1.0 && PyErr_Occurred())
        return -1;
    return 0;
}

PyDoc_STRVAR(select_doc,
"select(acc, keep, max_candidates, power, stories, cap, extra, when, span) -> list\n\n"
"The candidate stories of StoryClusterer._best_story: the ``keep`` highest sums of ``acc`` (ties to the\n"
"lower story number), re-ranked as _normalise does when ``power`` is not 0 (each sum times\n"
"``((len(story.indexed) or cap) + extra) ** -power``), then the first ``max_candidates`` of them whose\n"
"time span, widened by ``span`` seconds, holds ``when`` (every one when ``when`` is None).");

static PyObject *
select_cands(PyObject *self, PyObject *args)
{
    PyObject *acc, *stories, *when_obj;
    Py_ssize_t keep, max_candidates, cap, extra;
    double power, span;
    if (!PyArg_ParseTuple(args, "O!nndO!nnOd", &PyDict_Type, &acc, &keep, &max_candidates, &power,
                          &PyDict_Type, &stories, &cap, &extra, &when_obj, &span))
        return NULL;
    Py_ssize_t n = PyDict_GET_SIZE(acc), filled = 0;
    PyObject *out = NULL, *n_indexed = NULL, *n_first = NULL, *n_last = NULL;
    Cand *c = PyMem_Malloc((n ? n : 1) * sizeof(Cand));
    if (c == NULL)
        return PyErr_NoMemory();
    NAME(n_indexed_, "indexed") n_indexed = n_indexed_;
    NAME(n_first_, "first") n_first = n_first_;
    NAME(n_last_, "last") n_last = n_last_;
    {
        Py_ssize_t pos = 0;
        PyObject *key, *value;
        while (PyDict_Next(acc, &pos, &key, &value)) {
            double v = PyFloat_AsDouble(value);
            if (v == -1.0 && PyErr_Occurred())
                goto error;
            long long s = PyLong_AsLongLong(key);
            if (s == -1 && PyErr_Occurred())
                goto error;
            Py_INCREF(key);
            c[filled].v = v;
            c[filled].s = s;
            c[filled].key = key;
            filled++;
        }
    }
    qsort(c, (size_t)filled, sizeof(Cand), cand_cmp);
    Py_ssize_t top = filled < keep ? filled : keep;
    if (power != 0.0) {
        for (Py_ssize_t k = 0; k < top; k++) {
            PyObject *story = story_get(stories, c[k].key);  /* held across the attribute lookup */
            if (story == NULL)
                goto error;
            PyObject *indexed = attr(story, n_indexed);
            Py_DECREF(story);
            if (indexed == NULL)
                goto error;
            Py_ssize_t size = PyObject_Size(indexed);
            Py_DECREF(indexed);
            if (size < 0)
                goto error;
            /* Python: int ** float is float(int) ** float, then v times it */
            double base = (double)((size ? size : cap) + extra);
            c[k].v = c[k].v * pow(base, -power);
        }
        qsort(c, (size_t)top, sizeof(Cand), cand_cmp);
    }
    out = PyList_New(0);
    if (out == NULL)
        goto error;
    int any_time = when_obj != Py_None;
    double when = 0.0;
    if (any_time) {
        when = PyFloat_AsDouble(when_obj);
        if (when == -1.0 && PyErr_Occurred())
            goto error;
    }
    for (Py_ssize_t k = 0; k < top && PyList_GET_SIZE(out) < max_candidates; k++) {
        if (any_time) {
            PyObject *story = story_get(stories, c[k].key);
            if (story == NULL)
                goto error;
            double first = 0.0, last = 0.0;
            int none = 0;
            int bad = story_time(story, n_first, &first, &none) < 0 || story_time(story, n_last, &last, &none) < 0;
            Py_DECREF(story);
            if (bad)
                goto error;
            if (!none && !(first - span <= when && when <= last + span))
                continue;
        }
        if (PyList_Append(out, c[k].key) < 0)
            goto error;
    }
    for (Py_ssize_t k = 0; k < filled; k++)
        Py_DECREF(c[k].key);
    PyMem_Free(c);
    Py_DECREF(n_indexed);
    Py_DECREF(n_first);
    Py_DECREF(n_last);
    return out;
error:
    for (Py_ssize_t k = 0; k < filled; k++)
        Py_DECREF(c[k].key);
    PyMem_Free(c);
    Py_XDECREF(out);
    Py_XDECREF(n_indexed);
    Py_XDECREF(n_first);
    Py_XDECREF(n_last);
    return NULL;
}

/* ------------------------------------------------------------------ query_vector */

PyDoc_STRVAR(query_vector_doc,
"query_vector(terms, tfs, df, n1) -> (q2, qnorm)\n\n"
"StoryClusterer._query_vector: ``terms`` an array('i'), ``tfs`` an array('f') of the same length.");

static PyObject *
query_vector(PyObject *self, PyObject *args)
{
    PyObject *terms_obj, *tfs_obj;
    df_t df;
    double n1;
    if (!PyArg_ParseTuple(args, "OOO&d", &terms_obj, &tfs_obj, df_convert, &df, &n1))
        return NULL;
    Py_buffer tv, fv;
    if (get_array(terms_obj, &tv, 'i', sizeof(int)) < 0)
        return NULL;
    if (get_array(tfs_obj, &fv, 'f', sizeof(float)) < 0) {
        PyBuffer_Release(&tv);
        return NULL;
    }
    PyObject *q2 = NULL;
    Py_ssize_t n = tv.len / (Py_ssize_t)sizeof(int);
    if (n != fv.len / (Py_ssize_t)sizeof(float)) {
        PyErr_SetString(PyExc_ValueError, "terms and tfs differ in length");
        goto error;
    }
    q2 = PyDict_New();
    if (q2 == NULL)
        goto error;
    const int *terms = tv.buf;
    const float *tfs = fv.buf;
    double sq = 0.0;
    for (Py_ssize_t k = 0; k < n; k++) {
        double d;
        if (df_at(&df, terms[k], &d) < 0)
            goto error;
        double w = log(n1 / (d + 0.5));
        double v = (double)tfs[k] * w;
        sq += v * v;
        if (d > 1.0) {
            PyObject *key = PyLong_FromLong(terms[k]);
            PyObject *val = key ? PyFloat_FromDouble(v * w) : NULL;
            int bad = val == NULL || PyDict_SetItem(q2, key, val) < 0;
            Py_XDECREF(key);
            Py_XDECREF(val);
            if (bad)
                goto error;
        }
    }
    PyBuffer_Release(&tv);
    PyBuffer_Release(&fv);
    double norm = sqrt(sq);
    return Py_BuildValue("(Nd)", q2, norm != 0.0 ? norm : 1.0);
error:
    Py_XDECREF(q2);
    PyBuffer_Release(&tv);
    PyBuffer_Release(&fv);
    return NULL;
}

/* ------------------------------------------------------------------ lexical */

/* The sparse product of _lexical: over q2's terms in its order, those the centroid holds. */
static int
lexical_one(PyObject *cent, Py_ssize_t ndocs, PyObject *q2, double qnorm, double *out)
{
    if (!PyDict_Check(cent)) {
        PyErr_SetString(PyExc_TypeError, "a centroid is a dict");
        return -1;
    }
    double dot = 0.0;
    int common = 0;
    Py_ssize_t pos = 0;
    PyObject *key, *qv;
    while (PyDict_Next(q2, &pos, &key, &qv)) {
        PyObject *cv = PyDict_GetItemWithError(cent, key);
        if (cv == NULL) {
            if (PyErr_Occurred())
                return -1;
            continue;
        }
        double a = PyFloat_AsDouble(qv), b;
        if (a == -1.0 && PyErr_Occurred())
            return -1;
        b = PyFloat_AsDouble(cv);
        if (b == -1.0 && PyErr_Occurred())
            return -1;
        dot += a * b;
        common = 1;
    }
    if (!common || dot <= 0.0)
        *out = 0.0;
    else
        *out = dot / (qnorm * (double)ndocs);
    return 0;
}

PyDoc_STRVAR(lexical_doc,
"lexical(centroid, ndocs, q2, qnorm) -> float\n\n"
"StoryClusterer._lexical for a story with this centroid and ``ndocs`` documents.");

static PyObject *
lexical(PyObject *self, PyObject *args)
{
    PyObject *cent, *q2;
    Py_ssize_t ndocs;
    double qnorm, out;
    if (!PyArg_ParseTuple(args, "OnO!d", &cent, &ndocs, &PyDict_Type, &q2, &qnorm))
        return NULL;
    if (lexical_one(cent, ndocs, q2, qnorm, &out) < 0)
        return NULL;
    return PyFloat_FromDouble(out);
}

PyDoc_STRVAR(best_lexical_doc,
"best_lexical(stories, cands, q2, qnorm) -> (best, best_score)\n\n"
"The candidate with the highest _lexical score (the first of equal ones), as _best_story picks it\n"
"without embeddings; (None, -1.0) when ``cands`` is empty.");

static PyObject *
best_lexical(PyObject *self, PyObject *args)
{
    PyObject *stories, *cands, *q2;
    double qnorm;
    if (!PyArg_ParseTuple(args, "O!O!O!d", &PyDict_Type, &stories, &PyList_Type, &cands, &PyDict_Type, &q2,
                          &qnorm))
        return NULL;
    PyObject *n_centroid = NULL, *n_docs = NULL, *best = Py_None;
    double best_score = -1.0;
    NAME(n_centroid_, "centroid") n_centroid = n_centroid_;
    NAME(n_docs_, "docs") n_docs = n_docs_;
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(cands); k++) {
        PyObject *s = PyList_GET_ITEM(cands, k);
        PyObject *story = story_get(stories, s);
        if (story == NULL)
            goto error;
        PyObject *cent = attr(story, n_centroid);
        PyObject *docs = cent ? attr(story, n_docs) : NULL;
        Py_DECREF(story);
        if (docs == NULL) {
            Py_XDECREF(cent);
            goto error;
        }
        Py_ssize_t ndocs = PyObject_Size(docs);
        Py_DECREF(docs);
        double score;
        int bad = ndocs < 0 || lexical_one(cent, ndocs, q2, qnorm, &score) < 0;
        Py_DECREF(cent);
        if (bad)
            goto error;
        if (score > best_score) {
            best = s;
            best_score = score;
        }
    }
    Py_DECREF(n_centroid);
    Py_DECREF(n_docs);
    return Py_BuildValue("(Od)", best, best_score);
error:
    Py_XDECREF(n_centroid);
    Py_XDECREF(n_docs);
    return NULL;
}

/* ------------------------------------------------------------------ cohesion */

PyDoc_STRVAR(cohesion_sum_doc,
"cohesion_sum(centroid, df, n1) -> float\n\n"
"The sum over the centroid's terms (in its order) of (v * idf)**2, as StoryClusterer._cohesion takes it.");

static PyObject *
cohesion_sum(PyObject *self, PyObject *args)
{
    PyObject *cent;
    df_t df;
    double n1;
    if (!PyArg_ParseTuple(args, "O!O&d", &PyDict_Type, &cent, df_convert, &df, &n1))
        return NULL;
    double total = 0.0;
    Py_ssize_t pos = 0;
    PyObject *key, *val;
    while (PyDict_Next(cent, &pos, &key, &val)) {
        long i = PyLong_AsLong(key);
        if (i == -1 && PyErr_Occurred())
            return NULL;
        double d, v = PyFloat_AsDouble(val);
        if (v == -1.0 && PyErr_Occurred())
            return NULL;
        if (df_at(&df, i, &d) < 0)
            return NULL;
        double x = v * log(n1 / (d + 0.5));
        total += x * x;
    }
    return PyFloat_FromDouble(total);
}

/* ------------------------------------------------------------------ weighted */

typedef struct {
    double w, tf;
    long long i;
    PyObject *iobj, *tfobj; /* new references */
} Term;

/* highest (w, i, tf) first, as heapq.nlargest orders the tuples */
static int
term_cmp(const void *a, const void *b)
{
    const Term *x = a, *y = b;
    if (x->w != y->w) return x->w > y->w ? -1 : 1;
    if (x->i != y->i) return x->i > y->i ? -1 : 1;
    if (x->tf != y->tf) return x->tf > y->tf ? -1 : 1;
    return 0;
}

PyDoc_STRVAR(weighted_doc,
"weighted(ids, values, df, n1, k) -> list\n\n"
"The document's weighted terms in StoryClusterer.add: the ``k`` highest tuples\n"
"(tf * log(n1 / (df[i] + 0.5)), i, tf) over ``zip(ids, values, strict=True)``, highest first.");

static PyObject *
weighted(PyObject *self, PyObject *args)
{
    PyObject *ids, *values;
    df_t df;
    double n1;
    Py_ssize_t k;
    if (!PyArg_ParseTuple(args, "OOO&dn", &ids, &values, df_convert, &df, &n1, &k))
        return NULL;
    Py_ssize_t cap = 64, n = 0;
    Term *t = PyMem_Malloc(cap * sizeof(Term));
    PyObject *it_i = NULL, *it_v = NULL, *out = NULL;
    if (t == NULL)
        return PyErr_NoMemory();
    it_i = PyObject_GetIter(ids);
    if (it_i == NULL)
        goto error;
    it_v = PyObject_GetIter(values);
    if (it_v == NULL)
        goto error;
    for (;;) {
        PyObject *iobj = PyIter_Next(it_i);
        if (iobj == NULL && PyErr_Occurred())
            goto error;
        PyObject *tfobj = PyIter_Next(it_v);
        if (tfobj == NULL && PyErr_Occurred()) {
            Py_XDECREF(iobj);
            goto error;
        }
        if (iobj == NULL || tfobj == NULL) {
            if (iobj != NULL || tfobj != NULL) {
                Py_XDECREF(iobj);
                Py_XDECREF(tfobj);
                PyErr_SetString(PyExc_ValueError, "zip() arguments differ in length");
                goto error;
            }
            break;
        }
        if (n == cap) {
            Term *bigger = PyMem_Realloc(t, 2 * cap * sizeof(Term));
            if (bigger == NULL) {
                Py_DECREF(iobj);
                Py_DECREF(tfobj);
                PyErr_NoMemory();
                goto error;
            }
            t = bigger;
            cap *= 2;
        }
        t[n].iobj = iobj;
        t[n].tfobj = tfobj;
        n++;
        long long i = PyLong_AsLongLong(iobj);
        if (i == -1 && PyErr_Occurred())
            goto error;
        double tf = PyFloat_AsDouble(tfobj), d;
        if (tf == -1.0 && PyErr_Occurred())
            goto error;
        if (df_at(&df, (long)i, &d) < 0)
            goto error;
        t[n - 1].i = i;
        t[n - 1].tf = tf;
        t[n - 1].w = tf * log(n1 / (d + 0.5));
    }
    qsort(t, (size_t)n, sizeof(Term), term_cmp);
    Py_ssize_t top = n < k ? n : (k > 0 ? k : 0);
    out = PyList_New(top);
    if (out == NULL)
        goto error;
    for (Py_ssize_t j = 0; j < top; j++) {
        PyObject *tup = PyTuple_New(3);
        PyObject *w = tup ? PyFloat_FromDouble(t[j].w) : NULL;
        if (w == NULL) {
            Py_XDECREF(tup);
            goto error;
        }
        Py_INCREF(t[j].iobj);
        Py_INCREF(t[j].tfobj);
        PyTuple_SET_ITEM(tup, 0, w);
        PyTuple_SET_ITEM(tup, 1, t[j].iobj);
        PyTuple_SET_ITEM(tup, 2, t[j].tfobj);
        PyList_SET_ITEM(out, j, tup);
    }
    for (Py_ssize_t j = 0; j < n; j++) {
        Py_DECREF(t[j].iobj);
        Py_DECREF(t[j].tfobj);
    }
    PyMem_Free(t);
    Py_DECREF(it_i);
    Py_DECREF(it_v);
    return out;
error:
    for (Py_ssize_t j = 0; j < n; j++) {
        Py_DECREF(t[j].iobj);
        Py_DECREF(t[j].tfobj);
    }
    PyMem_Free(t);
    Py_XDECREF(it_i);
    Py_XDECREF(it_v);
    Py_XDECREF(out);
    return NULL;
}

/* ------------------------------------------------------------------ index / unindex */

PyDoc_STRVAR(index_doc,
"index(terms, df, stop_df, budget, indexed, centroid, postings, s) -> None\n\n"
"StoryClusterer._index of an active story: of the first ``budget`` terms that are not stopwords, each\n"
"one the centroid holds and the story does not index yet goes into ``indexed`` and ``postings[i]``.");

static PyObject *
index_terms(PyObject *self, PyObject *args)
{
    PyObject *terms, *indexed, *cent, *postings, *s;
    df_t df;
    double stop_df;
    Py_ssize_t budget;
    if (!PyArg_ParseTuple(args, "OO&dnO!O!O!O", &terms, df_convert, &df, &stop_df, &budget, &PySet_Type,
                          &indexed, &PyDict_Type, &cent, &PyDict_Type, &postings, &s))
        return NULL;
    PyObject *it = PyObject_GetIter(terms), *iobj;
    if (it == NULL)
        return NULL;
    while ((iobj = PyIter_Next(it)) != NULL) {
        if (budget <= 0) {
            Py_DECREF(iobj);
            break;
        }
        long i = PyLong_AsLong(iobj);
        double d;
        if ((i == -1 && PyErr_Occurred()) || df_at(&df, i, &d) < 0) {
            Py_DECREF(iobj);
            break;
        }
        if (d > stop_df) {
            Py_DECREF(iobj);
            continue;
        }
        budget--;
        int has = PySet_Contains(indexed, iobj);
        int held = has == 0 ? PyDict_Contains(cent, iobj) : 0;
        if (has < 0 || held < 0) {
            Py_DECREF(iobj);
            break;
        }
        if (held) {
            if (PySet_Add(indexed, iobj) < 0) {
                Py_DECREF(iobj);
                break;
            }
            PyObject *plist = PyDict_GetItemWithError(postings, iobj);
            if (plist == NULL) {
                if (PyErr_Occurred()) {
                    Py_DECREF(iobj);
                    break;
                }
                plist = PySet_New(NULL);
                if (plist == NULL || PyDict_SetItem(postings, iobj, plist) < 0) {
                    Py_XDECREF(plist);
                    Py_DECREF(iobj);
                    break;
                }
                Py_DECREF(plist);  /* the dict holds it */
            }
            if (!PySet_Check(plist)) {
                PyErr_SetString(PyExc_TypeError, "a postings list is a set");
                Py_DECREF(iobj);
                break;
            }
            if (PySet_Add(plist, s) < 0) {
                Py_DECREF(iobj);
                break;
            }
        }
        Py_DECREF(iobj);
    }
    Py_DECREF(it);
    if (PyErr_Occurred())
        return NULL;
    Py_RETURN_NONE;
}

PyDoc_STRVAR(unindex_doc,
"unindex(postings, indexed, s, terms) -> None\n\n"
"StoryClusterer._unindex: story ``s`` leaves the postings of ``terms`` (an emptied set leaves the\n"
"postings) and ``indexed`` (a set) drops them.");

static PyObject *
unindex_terms(PyObject *self, PyObject *args)
{
    PyObject *postings, *indexed, *s, *terms;
    if (!PyArg_ParseTuple(args, "O!O!OO!", &PyDict_Type, &postings, &PySet_Type, &indexed, &s, &PyList_Type,
                          &terms))
        return NULL;
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(terms); k++) {
        PyObject *i = PyList_GET_ITEM(terms, k);
        Py_INCREF(i);
        PyObject *plist = PyDict_GetItemWithError(postings, i);
        if (plist == NULL && PyErr_Occurred())
            goto error;
        if (plist != NULL) {
            if (!PySet_Check(plist)) {
                PyErr_SetString(PyExc_TypeError, "a postings list is a set");
                goto error;
            }
            if (PySet_Discard(plist, s) < 0)
                goto error;
            if (PySet_GET_SIZE(plist) == 0 && PyDict_DelItem(postings, i) < 0)
                goto error;
        }
        if (PySet_Discard(indexed, i) < 0)
            goto error;
        Py_DECREF(i);
        continue;
    error:
        Py_DECREF(i);
        return NULL;
    }
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ add_vector */

PyDoc_STRVAR(add_vector_doc,
"add_vector(centroid, terms, tfs, sign, norm) -> None\n\n"
"The loop of StoryClusterer._add_vector: each term's value in the centroid (a dict) becomes\n"
"``centroid.get(i, 0.0) + sign * tf / norm``, kept when above 1e-9, removed otherwise.");

static PyObject *
add_vector(PyObject *self, PyObject *args)
{
    PyObject *cent, *terms_obj, *tfs_obj;
    double sign, norm;
    if (!PyArg_ParseTuple(args, "O!OOdd", &PyDict_Type, &cent, &terms_obj, &tfs_obj, &sign, &norm))
        return NULL;
    if (!PyDict_CheckExact(cent)) { /* a subclass (the read-only empty centroid) keeps its own rules */
        PyErr_SetString(PyExc_TypeError, "add_vector: a plain dict expected");
        return NULL;
    }
    Py_buffer tv, fv;
    if (get_array(terms_obj, &tv, 'i', sizeof(int)) < 0)
        return NULL;
    if (get_array(tfs_obj, &fv, 'f', sizeof(float)) < 0) {
        PyBuffer_Release(&tv);
        return NULL;
    }
    Py_ssize_t n = tv.len / (Py_ssize_t)sizeof(int);
    if (n != fv.len / (Py_ssize_t)sizeof(float)) {
        PyErr_SetString(PyExc_ValueError, "terms and tfs differ in length");
        goto error;
    }
    const int *terms = tv.buf;
    const float *tfs = fv.buf;
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *key = PyLong_FromLong(terms[k]);
        if (key == NULL)
            goto error;
        PyObject *old = PyDict_GetItemWithError(cent, key);
        double base = 0.0;
        if (old != NULL) {
            base = PyFloat_AsDouble(old);
            if (base == -1.0 && PyErr_Occurred()) {
                Py_DECREF(key);
                goto error;
            }
        }
        else if (PyErr_Occurred()) {
            Py_DECREF(key);
            goto error;
        }
        double nv = base + sign * (double)tfs[k] / norm;
        int bad;
        if (nv > 1e-9) {
            PyObject *val = PyFloat_FromDouble(nv);
            bad = val == NULL || PyDict_SetItem(cent, key, val) < 0;
            Py_XDECREF(val);
        }
        else
            bad = old != NULL && PyDict_DelItem(cent, key) < 0;
        Py_DECREF(key);
        if (bad)
            goto error;
    }
    PyBuffer_Release(&tv);
    PyBuffer_Release(&fv);
    Py_RETURN_NONE;
error:
    PyBuffer_Release(&tv);
    PyBuffer_Release(&fv);
    return NULL;
}

/* ------------------------------------------------------------------ summaries */

/* memo[key] of an _IdfMemo (a dict of term -> IDF): the stored float, or log(n1 / (df[i] + 0.5))
 * computed and stored as _IdfMemo.__missing__ does (the same float: math.log is libm's log). */
static int
memo_idf(PyObject *memo, PyObject *key, long i, const df_t *df, double n1, double *out)
{
    PyObject *v = PyDict_GetItemWithError(memo, key);
    if (v != NULL) {
        double x = PyFloat_AsDouble(v);
        if (x == -1.0 && PyErr_Occurred())
            return -1;
        *out = x;
        return 0;
    }
    if (PyErr_Occurred())
        return -1;
    double d;
    if (df_at(df, i, &d) < 0)
        return -1;
    double x = log(n1 / (d + 0.5));
    PyObject *f = PyFloat_FromDouble(x);
    if (f == NULL)
        return -1;
    int bad = PyDict_SetItem(memo, key, f) < 0;
    Py_DECREF(f);
    if (bad)
        return -1;
    *out = x;
    return 0;
}

/* The IDF memo a summary function was given: an _IdfMemo (a dict), or its table (an array('d') indexed
 * by term, 0.0 where not computed yet: an IDF is log(n1 / (df + 0.5)) with df + 0.5 < n1, never 0.0,
 * and an entry computed twice would hold the same float anyway). The table spares the dict's hashing,
 * probing and float objects: the summaries of a batch look up every term of every centroid. */
typedef struct {
    PyObject *dict;  /* borrowed, or NULL */
    Py_buffer view;  /* the table, when dict is NULL */
    double *tab;
    Py_ssize_t n;
} memo_t;

static int
memo_open(PyObject *obj, memo_t *m)
{
    m->dict = NULL;
    m->tab = NULL;
    m->n = 0;
    if (PyDict_Check(obj)) {
        m->dict = obj;
        return 0;
    }
    if (PyObject_GetBuffer(obj, &m->view, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) < 0)
        return -1;
    if (m->view.itemsize != sizeof(double) || m->view.format == NULL || m->view.format[0] != 'd'
        || m->view.format[1]) {
        PyBuffer_Release(&m->view);
        PyErr_SetString(PyExc_TypeError, "memo: a dict or an array of type 'd' expected");
        return -1;
    }
    m->tab = m->view.buf;
    m->n = m->view.len / (Py_ssize_t)sizeof(double);
    return 0;
}

static void
memo_close(memo_t *m)
{
    if (m->dict == NULL)
        PyBuffer_Release(&m->view);
}

/* memo_idf through either kind of memo (key: term i as an int object, needed for a dict only) */
static int
memo_get(memo_t *m, PyObject *key, long i, const df_t *df, double n1, double *out)
{
    if (m->dict != NULL)
        return memo_idf(m->dict, key, i, df, n1, out);
    if (i >= 0 && i < m->n && m->tab[i] != 0.0) {
        *out = m->tab[i];
        return 0;
    }
    double d;
    if (df_at(df, i, &d) < 0)
        return -1;
    double x = log(n1 / (d + 0.5));
    if (i < m->n)
        m->tab[i] = x;
    *out = x;
    return 0;
}

typedef struct {
    double w;
    long i;
} ranked_t;

/* (weight, -term) descending: the higher weight first, then the lower term id */
static int
ranked_cmp(const void *pa, const void *pb)
{
    const ranked_t *a = pa, *b = pb;
    if (a->w > b->w)
        return -1;
    if (a->w < b->w)
        return 1;
    return (a->i > b->i) - (a->i < b->i);
}

/* the k first of r[0..n) in ranked_cmp order, sorted, in r[0..k): a bounded heap whose root is the
 * last of those kept (most centroids have a few hundred terms and k is 60), then a sort of the k */
static void
top_k(ranked_t *r, Py_ssize_t n, Py_ssize_t k)
{
    if (k >= n / 2) {
        qsort(r, (size_t)n, sizeof(ranked_t), ranked_cmp);
        return;
    }
    /* r[0..k) as a heap: parent ranks after its children (ranked_cmp(parent, child) > 0) */
    for (Py_ssize_t m = 1; m < k; m++) {
        Py_ssize_t c = m;
        while (c > 0) {
            Py_ssize_t p = (c - 1) / 2;
            if (ranked_cmp(&r[p], &r[c]) >= 0)
                break;
            ranked_t t = r[p]; r[p] = r[c]; r[c] = t;
            c = p;
        }
    }
    for (Py_ssize_t m = k; m < n; m++) {
        if (k == 0 || ranked_cmp(&r[m], &r[0]) >= 0)
            continue; /* ranks after the last kept */
        r[0] = r[m];
        Py_ssize_t p = 0;
        for (;;) {
            Py_ssize_t a = 2 * p + 1, b = a + 1, w = p;
            if (a < k && ranked_cmp(&r[a], &r[w]) > 0)
                w = a;
            if (b < k && ranked_cmp(&r[b], &r[w]) > 0)
                w = b;
            if (w == p)
                break;
            ranked_t t = r[p]; r[p] = r[w]; r[w] = t;
            p = w;
        }
    }
    qsort(r, (size_t)k, sizeof(ranked_t), ranked_cmp);
}

PyDoc_STRVAR(summary_rank_doc,
"summary_rank(centroid, memo, df, n1, k) -> list\n\n"
"The ranking of StoryClusterer._summary: each centroid term's weight c * memo[i] (the IDF memo filled\n"
"as _IdfMemo fills it, or its table: an array('d') by term, 0.0 where not computed yet), sorted as\n"
"(weight, -i) in descending order; returns the first k term ids.");

static PyObject *
summary_rank(PyObject *self, PyObject *args)
{
    PyObject *cent, *memo;
    df_t df;
    double n1;
    Py_ssize_t k;
    if (!PyArg_ParseTuple(args, "O!OO&dn", &PyDict_Type, &cent, &memo, df_convert, &df, &n1, &k))
        return NULL;
    memo_t mm;
    if (memo_open(memo, &mm) < 0)
        return NULL;
    Py_ssize_t n = PyDict_GET_SIZE(cent);
    ranked_t *r = PyMem_Malloc(sizeof(ranked_t) * (size_t)(n ? n : 1));
    if (r == NULL) {
        memo_close(&mm);
        return PyErr_NoMemory();
    }
    Py_ssize_t pos = 0, m = 0;
    PyObject *key, *val;
    /* the memo is not the centroid: filling it does not change the dict being walked */
    while (PyDict_Next(cent, &pos, &key, &val)) {
        if (m >= n) {
            PyErr_SetString(PyExc_RuntimeError, "the centroid changed size during the ranking");
            goto error;
        }
        long i = PyLong_AsLong(key);
        if (i == -1 && PyErr_Occurred())
            goto error;
        double c = PyFloat_AsDouble(val);
        if (c == -1.0 && PyErr_Occurred())
            goto error;
        double idf;
        Py_INCREF(key);
        int bad = memo_get(&mm, key, i, &df, n1, &idf) < 0;
        Py_DECREF(key);
        if (bad)
            goto error;
        r[m].w = c * idf;
        r[m].i = i;
        m++;
    }
    if (k < 0)
        k = 0;
    if (k > m)
        k = m;
    top_k(r, m, k);
    PyObject *out = PyList_New(k);
    if (out == NULL)
        goto error;
    for (Py_ssize_t j = 0; j < k; j++) {
        PyObject *t = PyLong_FromLong(r[j].i);
        if (t == NULL) {
            Py_DECREF(out);
            goto error;
        }
        PyList_SET_ITEM(out, j, t);
    }
    PyMem_Free(r);
    memo_close(&mm);
    return out;
error:
    PyMem_Free(r);
    memo_close(&mm);
    return NULL;
}

PyDoc_STRVAR(headline_doc,
"headline(docs, members, centroid, memo, df, n1) -> str\n\n"
"StoryClusterer._headline's loop: the title of the member (docs[d] for d in members, skipping\n"
"untitled ones) with the highest dot / (sqrt(norm) or 1.0), where x = tf * memo[i] over the\n"
"member's terms, norm sums x * x and dot sums x * (centroid[i] * memo[i]) over the centroid's terms;\n"
"the first one on ties; \"\" when none. ``memo``: as summary_rank's.");

static PyObject *
headline(PyObject *self, PyObject *args)
{
    PyObject *docs, *members, *cent, *memo;
    df_t df;
    double n1;
    if (!PyArg_ParseTuple(args, "OO!O!OO&d", &docs, &PyList_Type, &members, &PyDict_Type, &cent,
                          &memo, df_convert, &df, &n1))
        return NULL;
    memo_t mm;
    if (memo_open(memo, &mm) < 0)
        return NULL;
    PyObject *s_title = NULL, *s_terms = NULL, *s_tfs = NULL, *best = NULL;
    NAME(s_title_, "title") s_title = s_title_;
    NAME(s_terms_, "terms") s_terms = s_terms_;
    NAME(s_tfs_, "tfs") s_tfs = s_tfs_;
    best = PyUnicode_FromString("");
    if (best == NULL)
        goto error;
    double best_score = -1.0;
    Py_INCREF(members);
    for (Py_ssize_t m = 0; m < PyList_GET_SIZE(members); m++) {
        PyObject *d = PyList_GET_ITEM(members, m);
        Py_INCREF(d);
        PyObject *doc = PyObject_GetItem(docs, d);
        Py_DECREF(d);
        if (doc == NULL)
            goto fail;
        PyObject *title = attr(doc, s_title);
        if (title == NULL) {
            Py_DECREF(doc);
            goto fail;
        }
        int has = PyObject_IsTrue(title);
        if (has <= 0) {
            Py_DECREF(title);
            Py_DECREF(doc);
            if (has < 0)
                goto fail;
            continue;
        }
        PyObject *terms_obj = attr(doc, s_terms), *tfs_obj = terms_obj ? attr(doc, s_tfs) : NULL;
        Py_DECREF(doc);
        if (tfs_obj == NULL) {
            Py_XDECREF(terms_obj);
            Py_DECREF(title);
            goto fail;
        }
        Py_buffer tv, fv;
        int bufs = 0;
        if (get_array(terms_obj, &tv, 'i', sizeof(int)) < 0)
            goto member_error;
        bufs = 1;
        if (get_array(tfs_obj, &fv, 'f', sizeof(float)) < 0)
            goto member_error;
        bufs = 2;
        Py_ssize_t n = tv.len / (Py_ssize_t)sizeof(int);
        if (n != fv.len / (Py_ssize_t)sizeof(float)) {
            PyErr_SetString(PyExc_ValueError, "zip() arguments differ in length");
            goto member_error;
        }
        const int *terms = tv.buf;
        const float *tfs = fv.buf;
        double dot = 0.0, norm = 0.0;
        for (Py_ssize_t j = 0; j < n; j++) {
            PyObject *key = PyLong_FromLong(terms[j]);
            if (key == NULL)
                goto member_error;
            double idf;
            if (memo_get(&mm, key, terms[j], &df, n1, &idf) < 0) {
                Py_DECREF(key);
                goto member_error;
            }
            double x = (double)tfs[j] * idf;
            norm += x * x;
            PyObject *c = PyDict_GetItemWithError(cent, key);
            Py_DECREF(key);
            if (c != NULL) {
                double cv = PyFloat_AsDouble(c);
                if (cv == -1.0 && PyErr_Occurred())
                    goto member_error;
                dot += x * (cv * idf);
            }
            else if (PyErr_Occurred())
                goto member_error;
        }
        double root = sqrt(norm);
        double score = dot / (root != 0.0 ? root : 1.0);
        PyBuffer_Release(&tv);
        PyBuffer_Release(&fv);
        Py_DECREF(terms_obj);
        Py_DECREF(tfs_obj);
        if (score > best_score) {
            Py_SETREF(best, title);
            best_score = score;
        }
        else
            Py_DECREF(title);
        continue;
    member_error:
        if (bufs >= 1)
            PyBuffer_Release(&tv);
        if (bufs >= 2)
            PyBuffer_Release(&fv);
        Py_DECREF(terms_obj);
        Py_DECREF(tfs_obj);
        Py_DECREF(title);
        goto fail;
    }
    Py_DECREF(members);
    Py_DECREF(s_title);
    Py_DECREF(s_terms);
    Py_DECREF(s_tfs);
    memo_close(&mm);
    return best;
fail:
    Py_DECREF(members);
    Py_DECREF(best);
error:
    Py_XDECREF(s_title);
    Py_XDECREF(s_terms);
    Py_XDECREF(s_tfs);
    memo_close(&mm);
    return NULL;
}

/* ------------------------------------------------------------------ module */

static PyMethodDef methods[] = {
    {"walk", walk, METH_VARARGS, walk_doc},
    {"select", select_cands, METH_VARARGS, select_doc},
    {"query_vector", query_vector, METH_VARARGS, query_vector_doc},
    {"lexical", lexical, METH_VARARGS, lexical_doc},
    {"best_lexical", best_lexical, METH_VARARGS, best_lexical_doc},
    {"cohesion_sum", cohesion_sum, METH_VARARGS, cohesion_sum_doc},
    {"weighted", weighted, METH_VARARGS, weighted_doc},
    {"index", index_terms, METH_VARARGS, index_doc},
    {"unindex", unindex_terms, METH_VARARGS, unindex_doc},
    {"add_vector", add_vector, METH_VARARGS, add_vector_doc},
    {"summary_rank", summary_rank, METH_VARARGS, summary_rank_doc},
    {"headline", headline, METH_VARARGS, headline_doc},
    {NULL, NULL, 0, NULL},
};

/* DF_ARRAY: every function taking df takes an array('i') as well as a list (a module built before
 * raised TypeError on one, and compiled_scorer() refuses it).
 * MEMO_TABLE: summary_rank and headline take an IDF table as well as a dict (a module built before
 * they did lacks it, and compiled_scorer() then refuses the module rather than pass it a table).
 * STORY_TABLE: select and best_lexical read packed dormant stories (see story_get; a module built
 * before raised KeyError on them, and compiled_scorer() refuses it likewise). */
static int
exec_module(PyObject *m)
{
    if (PyModule_AddIntConstant(m, "DF_ARRAY", 1) < 0)
        return -1;
    if (PyModule_AddIntConstant(m, "MEMO_TABLE", 1) < 0)
        return -1;
    return PyModule_AddIntConstant(m, "STORY_TABLE", 1);
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, exec_module},
    {0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "kiemchung.stories._fastscore",
    "The story clusterer's hot loops, compiled (see kiemchung/stories/cluster.py).",
    0,
    methods,
    slots,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC
PyInit__fastscore(void)
{
    return PyModuleDef_Init(&module);
}
