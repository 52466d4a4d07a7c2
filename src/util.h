/*
 * Small helpers shared by every module: allocation that treats exhaustion as
 * fatal, bounded integer parsing, a growable string, a string-keyed hash map
 * and a 64-bit FNV-1a hash for stable names.
 */
#ifndef MENTORD_UTIL_H
#define MENTORD_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Allocate or abort: running out of memory is an impossible state for us. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Grow an array of elem-sized items to hold at least need items; updates *cap. */
void *xgrow(void *p, size_t *cap, size_t need, size_t elem);
/* Duplicate s; NULL gives NULL. */
char *xstrdup(const char *s);
/* printf into a new string the caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Lower-case ASCII letters in place; returns s. */
char *ascii_lower(char *s);

/* Parse a whole decimal string into [min, max]; 0 on success, -1 if s is
 * empty, has trailing junk or is out of range. Leading/trailing blanks are not allowed. */
int parse_long(const char *s, long min, long max, long *out);

/* 64-bit FNV-1a over len bytes, continuing from h (start with FNV64_INIT). */
#define FNV64_INIT UINT64_C(0xcbf29ce484222325)
uint64_t fnv1a64(const void *data, size_t len, uint64_t h);

/*
 * A fast 64-bit hash of len bytes, eight at a time, continuing from h (start
 * from 0). For tables and fingerprints kept by this program only: unlike
 * fnv1a64 its value depends on the machine's byte order, so it must not
 * name anything outside (entry names use fnv1a64).
 */
uint64_t hash_bytes(const void *data, size_t len, uint64_t h);

/* hash_bytes of a NUL-terminated string, NUL included (NULL hashes apart from every string). */
uint64_t hash_str(const char *s, uint64_t h);

/* A new random token (16 hex digits) naming a state, e.g. of the store; caller frees. */
char *random_token(void);

/* A growable NUL-terminated string; zero-initialise before use. */
struct sbuf {
	char *buf;
	size_t len, cap;
};
void sbuf_add(struct sbuf *sb, const char *s);
void sbuf_addf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Detach the string (caller frees); the sbuf is empty again. Never NULL. */
char *sbuf_take(struct sbuf *sb);
void sbuf_free(struct sbuf *sb);

/* Open-addressing hash map from strings (copied) to size_t values. */
struct strmap;
struct strmap *strmap_new(size_t expected);
void strmap_free(struct strmap *m);
/* Insert or replace; returns 1 if the key was already there, else 0. */
int strmap_put(struct strmap *m, const char *key, size_t value);
/* 0 and *value set when found, -1 when absent. */
int strmap_get(const struct strmap *m, const char *key, size_t *value);
/* Remove key; returns 0 if it was there, -1 if not. */
int strmap_del(struct strmap *m, const char *key);
size_t strmap_count(const struct strmap *m);

/*
 * Progress of a long operation: fn is called now and then with a phase
 * number, the work done and the expected total (0 if unknown). A non-zero
 * return asks the operation to stop; it then undoes what it did and fails.
 */
struct progress {
	int (*fn)(void *arg, int phase, long done, long total);
	void *arg;
};
/* Report progress; non-zero means stop. p may be NULL. */
int progress_report(const struct progress *p, int phase, long done, long total);

/* qsort comparator for an array of char *. */
int cmp_strp(const void *a, const void *b);

#endif
