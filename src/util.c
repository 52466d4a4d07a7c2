/*
 * Small helpers shared by every module: checked allocation, bounded integer
 * parsing, a growable string, a string-keyed hash map and FNV-1a.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* Report exhaustion and stop: there is no sane way to continue a cycle. */
static void out_of_memory(void)
{
	fputs("mentord: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		out_of_memory();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		out_of_memory();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		out_of_memory();
	return p;
}

void *xgrow(void *p, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 8;
	if (need <= *cap)
		return p;
	while (c < need)
		c *= 2;
	if (c > SIZE_MAX / elem)
		out_of_memory();
	*cap = c;
	return xrealloc(p, c * elem);
}

char *xstrdup(const char *s)
{
	char *d;
	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		out_of_memory();
	return d;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		out_of_memory();
	va_end(ap);
	return s;
}

char *ascii_lower(char *s)
{
	for (char *p = s; p && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return s;
}

int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;
	if (!s || !*s || (*s != '-' && (*s < '0' || *s > '9')))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

uint64_t fnv1a64(const void *data, size_t len, uint64_t h)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

char *random_token(void)
{
	static unsigned long counter;
	unsigned long long v;
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
		v = ((unsigned long long)time(NULL) << 32) ^ ((unsigned long long)getpid() << 16) ^ ++counter;
	return xasprintf("%016llx", v);
}

/* splitmix64's finaliser: every input bit reaches every output bit, the low ones too. */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

uint64_t hash_bytes(const void *data, size_t len, uint64_t h)
{
	const unsigned char *p = data;
	uint64_t w;
	h = mix64(h ^ (uint64_t)len ^ UINT64_C(0x9e3779b97f4a7c15));
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * UINT64_C(0x9e3779b97f4a7c15);
		h ^= h >> 29;
	}
	w = 0;
	memcpy(&w, p, len);
	return mix64(h ^ w);
}

uint64_t hash_str(const char *s, uint64_t h)
{
	return s ? hash_bytes(s, strlen(s) + 1, h) : mix64(h ^ UINT64_C(0x5bd1e9955bd1e995));
}

/* Make room for extra more bytes plus the NUL. */
static void sbuf_reserve(struct sbuf *sb, size_t extra)
{
	sb->buf = xgrow(sb->buf, &sb->cap, sb->len + extra + 1, 1);
}

void sbuf_add(struct sbuf *sb, const char *s)
{
	size_t n = strlen(s);
	sbuf_reserve(sb, n);
	memcpy(sb->buf + sb->len, s, n + 1);
	sb->len += n;
}

void sbuf_addf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sbuf_reserve(sb, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

char *sbuf_take(struct sbuf *sb)
{
	char *s = sb->buf ? sb->buf : xstrdup("");
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return s;
}

void sbuf_free(struct sbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

struct strmap_slot {
	char *key;
	size_t value;
};

struct strmap {
	struct strmap_slot *slots;
	size_t mask, count;
};

struct strmap *strmap_new(size_t expected)
{
	struct strmap *m = xcalloc(1, sizeof(*m));
	size_t n = 16;
	while (n < expected * 2)
		n *= 2;
	m->slots = xcalloc(n, sizeof(*m->slots));
	m->mask = n - 1;
	return m;
}

void strmap_free(struct strmap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i <= m->mask; i++)
		free(m->slots[i].key);
	free(m->slots);
	free(m);
}

/* The slot holding key, or the empty slot where it would go. */
static struct strmap_slot *strmap_find(const struct strmap *m, const char *key)
{
	size_t i = (size_t)hash_bytes(key, strlen(key), 0) & m->mask;
	while (m->slots[i].key && strcmp(m->slots[i].key, key) != 0)
		i = (i + 1) & m->mask;
	return &m->slots[i];
}

/* Double the table when it is half full, keeping probes short. */
static void strmap_rehash(struct strmap *m)
{
	struct strmap old = *m;
	m->mask = old.mask * 2 + 1;
	m->slots = xcalloc(m->mask + 1, sizeof(*m->slots));
	for (size_t i = 0; i <= old.mask; i++)
		if (old.slots[i].key)
			*strmap_find(m, old.slots[i].key) = old.slots[i];
	free(old.slots);
}

int strmap_put(struct strmap *m, const char *key, size_t value)
{
	struct strmap_slot *s = strmap_find(m, key);
	if (s->key) {
		s->value = value;
		return 1;
	}
	s->key = xstrdup(key);
	s->value = value;
	if (++m->count * 2 > m->mask)
		strmap_rehash(m);
	return 0;
}

int strmap_get(const struct strmap *m, const char *key, size_t *value)
{
	const struct strmap_slot *s = strmap_find(m, key);
	if (!s->key)
		return -1;
	*value = s->value;
	return 0;
}

int strmap_del(struct strmap *m, const char *key)
{
	struct strmap_slot *s = strmap_find(m, key);
	size_t hole, i;
	if (!s->key)
		return -1;
	free(s->key);
	s->key = NULL;
	m->count--;
	/* shift back the entries of the probe run after the hole, so every key stays reachable */
	hole = (size_t)(s - m->slots);
	for (i = (hole + 1) & m->mask; m->slots[i].key; i = (i + 1) & m->mask) {
		size_t home = (size_t)hash_bytes(m->slots[i].key, strlen(m->slots[i].key), 0) & m->mask;
		/* the entry may move to the hole only if its home is not in (hole, i] (cyclically) */
		if ((i > hole && (home <= hole || home > i)) || (i < hole && home <= hole && home > i)) {
			m->slots[hole] = m->slots[i];
			m->slots[i].key = NULL;
			hole = i;
		}
	}
	return 0;
}

size_t strmap_count(const struct strmap *m)
{
	return m->count;
}

int progress_report(const struct progress *p, int phase, long done, long total)
{
	return p && p->fn ? p->fn(p->arg, phase, done, total) : 0;
}

int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}
