/*
 * gencompany: write a deterministic test company as LDIF on stdout.
 *
 * The company has one CEO, a head per department under the CEO and teams with
 * a fan-out of 4-8 below them; older people sit higher in the tree. Every
 * person is an inetOrgPerson with the mentoringParticipant data mentord reads
 * (birth year, hire date, digcomp competences for about 90%, a capacity
 * override for about 1%). HR's selection is two groups, mentoring-juniors
 * (born 1985 or later) and mentoring-seniors (born 1975 or earlier). A few
 * fixed people carry names full of LDAP special characters, and three group
 * members carry values that sync must skip; they are marked with a
 * "description: gencompany fixture: ..." value so tests can find them.
 *
 * The same arguments always give the same bytes: all randomness comes from
 * splitmix64 streams seeded from -s, and no clock is read (hire and assessment
 * dates end in 2025). Only the C11 library is used.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STAFF 999999
#define LAST_YEAR 2025      /* latest hire and assessment year */
#define FIRST_BIRTH 1950
#define LAST_BIRTH 2006
#define JUNIOR_BORN_FROM 1985
#define SENIOR_BORN_UNTIL 1975
#define AREAS 5
#define MAX_DN 4096

/* ------------------------------------------------------------------ PRNG */

/* One splitmix64 stream; independent streams keep e.g. names stable when -j changes. */
struct rng {
	uint64_t state;
};

/* Next 64 random bits (splitmix64, Steele/Lea/Flood 2014). */
static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* Seed stream number id of the run seeded with seed. */
static void rng_seed(struct rng *r, uint64_t seed, unsigned id)
{
	r->state = seed ^ (UINT64_C(0xD1B54A32D192ED03) * (id + 1));
	rng_next(r);
}

/* Uniform integer in [0, n); n > 0. */
static uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * n) >> 32);
}

/* Uniform integer in [lo, hi]. */
static int rng_range(struct rng *r, int lo, int hi)
{
	return lo + (int)rng_below(r, (uint32_t)(hi - lo + 1));
}

/* Uniform double in [0, 1). */
static double rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Index into weights[0..n) drawn in proportion to the weights. */
static int rng_weighted(struct rng *r, const double *weights, int n)
{
	double total = 0, x;
	int i;

	for (i = 0; i < n; i++)
		total += weights[i];
	x = rng_unit(r) * total;
	for (i = 0; i < n - 1; i++) {
		if (x < weights[i])
			return i;
		x -= weights[i];
	}
	return n - 1;
}

/* ------------------------------------------------------------- the world */

static const char *const dept_names[] = {
	"Engineering", "Sales", "Customer Support", "Operations",
	"Marketing", "Finance", "Human Resources", "Legal",
};
static const double dept_weights[] = { 30, 18, 14, 12, 9, 7, 5, 5 };
#define DEPTS 8

/* Job titles of individual contributors, per department. */
static const char *const dept_roles[DEPTS][3] = {
	{ "Software Engineer", "QA Engineer", "Data Engineer" },
	{ "Account Executive", "Sales Representative", "Sales Engineer" },
	{ "Support Agent", "Support Specialist", "Technical Writer" },
	{ "Operations Analyst", "Logistics Coordinator", "Facilities Coordinator" },
	{ "Marketing Specialist", "Content Writer", "Brand Designer" },
	{ "Accountant", "Financial Analyst", "Controller" },
	{ "HR Generalist", "Recruiter", "Payroll Specialist" },
	{ "Legal Counsel", "Paralegal", "Compliance Officer" },
};

static const char *const offices[] = {
	"Berlin", "London", "Paris", "Madrid", "Warsaw", "New York", "S\u00e3o Paulo", "Singapore",
};
static const double office_weights[] = { 25, 18, 12, 10, 10, 12, 7, 6 };
#define OFFICES 8

static const char *const first_names[] = {
	"Alice", "Ahmed", "Akira", "Amara", "Ana", "Anders", "Aoife", "Arjun", "Ay\u015fe", "Beatriz",
	"Ben", "Carlos", "Chen", "Chlo\u00e9", "Daniel", "David", "Elena", "Emma", "Fatima", "Felix",
	"Grace", "Hannah", "Hiroshi", "Ines", "Ivan", "James", "Jana", "Jos\u00e9", "Julia", "Kwame",
	"Lars", "Laura", "Leon", "Lina", "Lucas", "Maria", "Mateo", "Mei", "Michael", "Mohammed",
	"Nadia", "Noah", "Olga", "Omar", "Paul", "Priya", "Rafael", "Sara", "Sofia", "S\u00f8ren",
	"Thomas", "Tom\u00e1s", "Wei", "Yara", "Yusuf", "Zo\u00eb", "Marek", "Nina", "Oscar", "Ruth",
};

static const char *const last_names[] = {
	"Adams", "Andersen", "Becker", "Brown", "Chen", "Costa", "Dubois", "Dvo\u0159\u00e1k", "Fischer",
	"Garc\u00eda", "Gonzalez", "Gupta", "Hansen", "Ivanova", "Jones", "Kim", "Kowalczyk", "Kumar",
	"Larsen", "Lee", "Lopez", "Martin", "Meyer", "M\u00fcller", "Nakamura", "Nguyen", "Novak",
	"N\u00fa\u00f1ez", "Okafor", "Olsen", "\u00d6zt\u00fcrk", "Patel", "Petrov", "Quinn", "Rossi",
	"Sato", "Schmidt", "Silva", "Smith", "Sousa", "Tanaka", "Taylor", "Thompson", "Wagner",
	"Walker", "Wang", "Weber", "Williams", "Wilson", "Wright", "Yamamoto", "Zhang", "Zieli\u0144ski",
	"Moreau", "Bianchi", "Haddad", "Mensah", "Ribeiro", "Svensson", "Horvat",
};

/* People whose names exercise LDIF and RFC 4514 escaping, at fixed uids. */
struct special_name {
	int uid;
	const char *given, *sn, *cn; /* cn NULL: "given sn" */
};
static const struct special_name special_names[] = {
	{ 12, "Siobhan", "O'Brien", NULL },
	{ 23, "John", "Smith, Jr.", NULL },
	{ 34, "Anna", "Star", "Anna (QA) *Star*" },
	{ 45, "Bob", "Back\\slash", NULL },
	{ 56, "Hash", "#hash", "#hash" },
	{ 67, "Eve", "Mallory", "Eve+Mallory=Admin <root>; \"x\"" },
	{ 78, "Zo\u00eb", "\u0141ukasiewicz-N\u00fa\u00f1ez", NULL },
	{ 89, "Lea", "Space", " Lea Space " },
};

enum group { GROUP_NONE, GROUP_JUNIOR, GROUP_SENIOR };
enum malformed { MAL_NONE, MAL_NONSENSE, MAL_LEVEL99, MAL_NO_BIRTH_YEAR };

struct person {
	int manager;            /* index, -1 for the CEO */
	int depth;              /* 0 CEO, 1 department head, ... */
	int dept;               /* -1 for the CEO's office */
	int office;
	int reports;
	int birth_year;
	int hire_y, hire_m, hire_d;
	int assessed_y, assessed_m, assessed_d; /* 0: never assessed */
	unsigned char level[AREAS];
	int capacity;           /* -1: no override */
	int first, last;        /* indices into the name lists */
	int special;            /* index into special_names or -1 */
	enum group group;
	enum malformed malformed;
	char *cn;               /* display cn (--rdn cn: made unique) */
	char *mail_local;
	char *rdn_value;        /* RFC 4514-escaped value of the RDN */
};

struct options {
	long staff;
	uint64_t seed;
	const char *suffix;
	long juniors, seniors;  /* -1: default share of staff */
	int rdn_cn;
};

enum { STREAM_TREE, STREAM_AGE, STREAM_NAMES, STREAM_SKILLS, STREAM_GROUPS };

/* --------------------------------------------------------- small helpers */

#ifdef __GNUC__
static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
#endif

/* Print a message and exit with status 2 (bad usage or impossible request). */
static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("gencompany: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nusage: gencompany [-n STAFF] [-s SEED] [-b SUFFIX] [-j JUNIORS] [-k SENIORS] [--rdn uid|cn]\n"
	      "Try 'gencompany --help' for more information.\n", stderr);
	exit(2);
}

/* Allocate or stop: the generator has no use for partial output. */
static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fputs("gencompany: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

/* Copy s into new memory. */
static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

/* The concatenation of a, b and c in new memory. */
static char *concat3(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *s = xmalloc(la + lb + lc + 1);

	memcpy(s, a, la);
	memcpy(s + la, b, lb);
	memcpy(s + la + lb, c, lc + 1);
	return s;
}

/* ------------------------------------------------------------ LDIF output */

/* Succeed if value may be written after "attr: " (RFC 2849 SAFE-STRING, and no trailing space). */
static int ldif_safe(const char *v)
{
	size_t n = strlen(v), i;

	if (n == 0)
		return 1;
	if (v[0] == ' ' || v[0] == ':' || v[0] == '<' || v[n - 1] == ' ')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c == '\n' || c == '\r' || c >= 0x80)
			return 0;
	}
	return 1;
}

/* Write value as base64 (RFC 4648). */
static void put_base64(const char *v)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)v;
	size_t n = strlen(v), i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned long w = (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8 | p[i + 2];
		putchar(tab[w >> 18 & 63]);
		putchar(tab[w >> 12 & 63]);
		putchar(tab[w >> 6 & 63]);
		putchar(tab[w & 63]);
	}
	if (n - i == 1) {
		putchar(tab[p[i] >> 2]);
		putchar(tab[(p[i] & 3) << 4]);
		fputs("==", stdout);
	} else if (n - i == 2) {
		putchar(tab[p[i] >> 2]);
		putchar(tab[(p[i] & 3) << 4 | p[i + 1] >> 4]);
		putchar(tab[(p[i + 1] & 15) << 2]);
		putchar('=');
	}
}

/* Write one "attr: value" line, base64-encoded when the value is not safe. */
static void put_attr(const char *attr, const char *value)
{
	fputs(attr, stdout);
	if (ldif_safe(value)) {
		fputs(": ", stdout);
		fputs(value, stdout);
	} else {
		fputs(":: ", stdout);
		put_base64(value);
	}
	putchar('\n');
}

/* Write "attr: N". */
static void put_int(const char *attr, long value)
{
	printf("%s: %ld\n", attr, value);
}

/* Write a GeneralizedTime value for a date. */
static void put_date(const char *attr, int y, int m, int d)
{
	printf("%s: %04d%02d%02d000000Z\n", attr, y, m, d);
}

/* ------------------------------------------------------------- DN strings */

/* Escape value for use as an RDN value (RFC 4514 section 2.4); '=' is escaped too. */
static char *dn_escape(const char *v)
{
	size_t n = strlen(v), i, o = 0;
	char *out = xmalloc(2 * n + 1);

	for (i = 0; i < n; i++) {
		char c = v[i];
		int special = strchr("\"+,;<>\\=", c) != NULL;
		if (special || (i == 0 && (c == ' ' || c == '#')) || (i == n - 1 && c == ' '))
			out[o++] = '\\';
		out[o++] = c;
	}
	out[o] = '\0';
	return out;
}

/* Format the DN of person p into buf. */
static void person_dn(char *buf, size_t size, const struct person *p, const struct options *opt)
{
	snprintf(buf, size, "%s=%s,ou=people,%s", opt->rdn_cn ? "cn" : "uid", p->rdn_value, opt->suffix);
}

/* ------------------------------------------------- counting strings */

/* Open-addressing map from strings to counters, for unique cns and mail
 * addresses. Its size is fixed at creation, so counter pointers stay valid. */
struct strmap {
	char **key;
	long *count;
	size_t cap;
};

/* FNV-1a over s. */
static uint64_t hash_str(const char *s)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	while (*s)
		h = (h ^ (unsigned char)*s++) * UINT64_C(0x100000001b3);
	return h;
}

/* Make an empty map able to hold n strings. */
static void strmap_init(struct strmap *m, size_t n)
{
	m->cap = 16;
	while (m->cap < 2 * n + 16)
		m->cap *= 2;
	m->key = xmalloc(m->cap * sizeof *m->key);
	m->count = xmalloc(m->cap * sizeof *m->count);
	memset(m->key, 0, m->cap * sizeof *m->key);
}

/* The counter of key, added as 0 when key is new. */
static long *strmap_counter(struct strmap *m, const char *key)
{
	size_t i = (size_t)hash_str(key) & (m->cap - 1);

	while (m->key[i]) {
		if (strcmp(m->key[i], key) == 0)
			return &m->count[i];
		i = (i + 1) & (m->cap - 1);
	}
	m->key[i] = xstrdup(key);
	m->count[i] = 0;
	return &m->count[i];
}

/* Free the map and its strings. */
static void strmap_free(struct strmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->key[i]);
	free(m->key);
	free(m->count);
}

/* The matching key of a cn: ASCII case folded, outer blanks cut, inner runs squeezed. */
static char *cn_key(const char *cn)
{
	char *key = xmalloc(strlen(cn) + 1), *o = key;

	for (; *cn; cn++) {
		if (*cn == ' ' && (o == key || o[-1] == ' '))
			continue;
		*o++ = (*cn >= 'A' && *cn <= 'Z') ? (char)(*cn - 'A' + 'a') : *cn;
	}
	while (o > key && o[-1] == ' ')
		o--;
	*o = '\0';
	return key;
}

/* ----------------------------------------------------------- option parsing */

/* Parse a decimal number in [min, max] given to option opt, or stop with status 2. */
static unsigned long long parse_number(const char *opt, const char *s, unsigned long long min,
				       unsigned long long max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = (s[0] >= '0' && s[0] <= '9') ? strtoull(s, &end, 10) : 0;
	if (!(s[0] >= '0' && s[0] <= '9') || *end || errno || v < min || v > max)
		usage_error("%s needs a number from %llu to %llu, not '%s'", opt, min, max, s);
	return v;
}

/* Print the help text. */
static void help(void)
{
	fputs("usage: gencompany [-n STAFF] [-s SEED] [-b SUFFIX] [-j JUNIORS] [-k SENIORS] [--rdn uid|cn]\n"
	      "Write a deterministic test company as LDIF on stdout.\n"
	      "  -n STAFF      people under ou=people (1-999999, default 2000)\n"
	      "  -s SEED       random seed (unsigned 64-bit, default 1)\n"
	      "  -b SUFFIX     base DN, first RDN dc= or o= (default dc=example,dc=com)\n"
	      "  -j JUNIORS    members of cn=mentoring-juniors, born 1985 or later\n"
	      "                (default 7.5% of STAFF, fewer if not enough are eligible)\n"
	      "  -k SENIORS    members of cn=mentoring-seniors, born 1975 or earlier\n"
	      "                (default 15% of STAFF, fewer if not enough are eligible)\n"
	      "  --rdn uid|cn  naming attribute of people (default uid; cn makes names unique)\n"
	      "A group with no members is left out (groupOfNames needs a member).\n"
	      "uids u000012, 23, 34, 45, 56, 67, 78 and 89 have names with LDAP special\n"
	      "characters; three group members carry values sync must skip, marked with\n"
	      "'description: gencompany fixture: ...'.\n", stdout);
}

/* Check that the suffix looks like a DN whose first RDN is dc= or o= with a plain value. */
static void check_suffix(const char *s)
{
	size_t n = strlen(s);
	const char *comma = strchr(s, ',');
	size_t first = comma ? (size_t)(comma - s) : n;

	if (n == 0 || n > 1000)
		usage_error("-b needs a DN of 1 to 1000 characters, not '%s'", s);
	if (!((strncmp(s, "dc=", 3) == 0 && first > 3) || (strncmp(s, "o=", 2) == 0 && first > 2)))
		usage_error("-b: the first RDN must be dc=VALUE or o=VALUE: '%s'", s);
	if (memchr(s, '\\', first) || memchr(s, '+', first) || strchr(s, '\n') || s[n - 1] == ',')
		usage_error("-b: the suffix '%s' is not a plain DN", s);
}

/* Return the value of option arg i (either "-nVALUE"/"--rdn=VALUE" or the next argument). */
static const char *option_value(int argc, char **argv, int *i, size_t name_len)
{
	const char *a = argv[*i];

	if (a[name_len] == '=' && a[1] == '-')
		return a + name_len + 1;
	if (a[name_len] != '\0' && a[1] != '-')
		return a + name_len;
	if (*i + 1 >= argc)
		usage_error("option %s needs a value", a);
	return argv[++*i];
}

/* Fill opt from the command line, or stop with status 2. */
static void parse_args(int argc, char **argv, struct options *opt)
{
	int i;

	opt->staff = 2000;
	opt->seed = 1;
	opt->suffix = "dc=example,dc=com";
	opt->juniors = opt->seniors = -1;
	opt->rdn_cn = 0;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			help();
			exit(0);
		}
		if (strncmp(a, "--rdn", 5) == 0 && (a[5] == '\0' || a[5] == '=')) {
			v = option_value(argc, argv, &i, 5);
			if (strcmp(v, "uid") != 0 && strcmp(v, "cn") != 0)
				usage_error("--rdn must be uid or cn, not '%s'", v);
			opt->rdn_cn = strcmp(v, "cn") == 0;
			continue;
		}
		if (a[0] != '-' || a[1] == '\0' || a[1] == '-' || !strchr("nsbjk", a[1]))
			usage_error("unknown argument '%s'", a);
		v = option_value(argc, argv, &i, 2);
		switch (a[1]) {
		case 'n': opt->staff = (long)parse_number("-n", v, 1, MAX_STAFF); break;
		case 's': opt->seed = (uint64_t)parse_number("-s", v, 0, UINT64_MAX); break;
		case 'b': check_suffix(v); opt->suffix = v; break;
		case 'j': opt->juniors = (long)parse_number("-j", v, 0, MAX_STAFF); break;
		case 'k': opt->seniors = (long)parse_number("-k", v, 0, MAX_STAFF); break;
		}
	}
	if (opt->juniors > opt->staff || opt->seniors > opt->staff)
		usage_error("-j and -k cannot exceed the staff count (%ld)", opt->staff);
}

/* ---------------------------------------------------------------- the tree */

/* Split people among the departments by weight (largest remainder). */
static void department_sizes(long people, int depts, long *size)
{
	double total = 0, rest[DEPTS];
	long given = 0;
	int d;

	for (d = 0; d < depts; d++)
		total += dept_weights[d];
	for (d = 0; d < depts; d++) {
		double exact = (double)people * dept_weights[d] / total;
		size[d] = (long)exact;
		rest[d] = exact - (double)size[d];
		given += size[d];
	}
	while (given < people) {
		int best = 0;
		for (d = 1; d < depts; d++)
			if (rest[d] > rest[best])
				best = d;
		size[best]++;
		rest[best] = -1;
		given++;
	}
}

/* Make person i report to manager m, in m's department and often m's office. */
static void add_report(struct person *people, long i, long m, struct rng *r)
{
	struct person *p = &people[i];

	p->manager = (int)m;
	p->depth = people[m].depth + 1;
	p->dept = people[m].dept;
	p->office = rng_below(r, 4) ? people[m].office : rng_weighted(r, office_weights, OFFICES);
	people[m].reports++;
}

/* Build the org tree in breadth-first order, so managers come before their reports. */
static void build_tree(struct person *people, long n, struct rng *r)
{
	int heads = n - 1 < DEPTS ? (int)(n - 1) : DEPTS, d;
	long left[DEPTS], next, level_start, level_end, m;

	people[0].manager = -1;
	people[0].dept = -1;
	people[0].office = 0;
	for (d = 0; d < heads; d++) {
		add_report(people, 1 + d, 0, r);
		people[1 + d].dept = d;
		people[1 + d].office = rng_weighted(r, office_weights, OFFICES);
	}
	department_sizes(n - 1 - heads, heads, left);
	next = 1 + heads;
	level_start = 1;
	level_end = next;
	while (next < n && level_start < level_end) {
		for (m = level_start; m < level_end && next < n; m++) {
			int k = rng_range(r, 4, 8);
			d = people[m].dept;
			for (; k > 0 && left[d] > 0; k--, left[d]--)
				add_report(people, next++, m, r);
		}
		level_start = level_end;
		level_end = next;
	}
}

/* ---------------------------------------------------------------- ages */

/* Relative share of staff born in year y (a plausible 2025 workforce). */
static double birth_weight(int y)
{
	if (y <= 1957) return 0.3;
	if (y <= 1964) return 0.8;
	if (y <= 1979) return 1.0;
	if (y <= 1995) return 1.2;
	if (y <= 2000) return 0.9;
	if (y <= 2004) return 0.5;
	return 0.2;
}

struct aged {
	double key;
	int year;
};

/* Order by seniority key, ties by year: deterministic for qsort. */
static int aged_cmp(const void *a, const void *b)
{
	const struct aged *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->year > y->year) - (x->year < y->year);
}

/* Give everyone a birth year drawn from the workforce, handed out
 * oldest-first, with much noise, down the tree. */
static void assign_birth_years(struct person *people, long n, struct rng *r)
{
	double weights[LAST_BIRTH - FIRST_BIRTH + 1];
	struct aged *pool = xmalloc((size_t)n * sizeof *pool);
	long i;

	for (i = 0; i <= LAST_BIRTH - FIRST_BIRTH; i++)
		weights[i] = birth_weight(FIRST_BIRTH + (int)i);
	for (i = 0; i < n; i++) {
		pool[i].year = FIRST_BIRTH + rng_weighted(r, weights, LAST_BIRTH - FIRST_BIRTH + 1);
		pool[i].key = pool[i].year + 20.0 * (rng_unit(r) + rng_unit(r) - 1.0);
	}
	qsort(pool, (size_t)n, sizeof *pool, aged_cmp);
	for (i = 0; i < n; i++)
		people[i].birth_year = pool[i].year;
	free(pool);
}

/* Hire date: at least 19 years after birth (so past the 18th birthday), recent tenures more likely. */
static void assign_hire_date(struct person *p, struct rng *r)
{
	int earliest = p->birth_year + 19;
	double u = rng_unit(r);
	int span = LAST_YEAR - earliest;

	p->hire_y = LAST_YEAR - (int)(u * u * (span + 1));
	if (p->hire_y < earliest)
		p->hire_y = earliest;
	p->hire_m = rng_range(r, 1, 12);
	p->hire_d = rng_range(r, 1, 28);
}

/* --------------------------------------------------------------- skills */

/* digcomp levels 1-8: younger people tend to be stronger, with wide spread. */
static void assign_levels(struct person *p, struct rng *r)
{
	static const double area_bias[AREAS] = { 0.3, 0.5, -0.2, -0.4, 0.0 };
	double mean = 3.0 + 3.5 * (p->birth_year - FIRST_BIRTH) / (LAST_BIRTH - FIRST_BIRTH);
	int a;

	for (a = 0; a < AREAS; a++) {
		double x = mean + area_bias[a] + 2.5 * (rng_unit(r) + rng_unit(r) - 1.0);
		int level = (int)(x + 0.5);
		p->level[a] = (unsigned char)(level < 1 ? 1 : level > 8 ? 8 : level);
	}
}

/* Hire date, assessment (about 90%) and capacity override (about 1%). */
static void assign_skills(struct person *people, long n, struct rng *r)
{
	long i;

	for (i = 0; i < n; i++) {
		struct person *p = &people[i];
		assign_hire_date(p, r);
		p->capacity = -1;
		if (rng_below(r, 10) != 0) {
			assign_levels(p, r);
			p->assessed_y = rng_range(r, LAST_YEAR - 1, LAST_YEAR);
			p->assessed_m = rng_range(r, 1, 12);
			p->assessed_d = rng_range(r, 1, 28);
		}
		if (rng_below(r, 100) == 0)
			p->capacity = rng_range(r, 0, 2);
	}
}

/* ---------------------------------------------------------------- names */

/* The ASCII letters of a name for a mail address, with common accents dropped. */
static void mail_part(const char *name, char *out, size_t size)
{
	static const char *const from[] = {
		"\u00e0", "\u00e1", "\u00e3", "\u00e4", "\u00e5", "\u00e7", "\u00e8", "\u00e9", "\u00eb",
		"\u00ed", "\u00f1", "\u00f3", "\u00f6", "\u00f8", "\u00fa", "\u00fc", "\u0107", "\u0141",
		"\u0142", "\u0144", "\u0159", "\u015f", "\u00d6", "\u0161", "\u017e",
	};
	static const char to[] = "aaaaaceeeinooouucllnrsosz";
	size_t o = 0, k;

	while (*name && o + 1 < size) {
		unsigned char c = (unsigned char)*name;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			out[o++] = (char)(c | 0x20);
			name++;
			continue;
		}
		for (k = 0; k < sizeof from / sizeof from[0]; k++)
			if (strncmp(name, from[k], strlen(from[k])) == 0)
				break;
		if (k < sizeof from / sizeof from[0]) {
			out[o++] = to[k];
			name += strlen(from[k]);
		} else {
			name++;
		}
	}
	out[o] = '\0';
}

/* The given name and surname of p. */
static void person_names(const struct person *p, const char **given, const char **sn)
{
	if (p->special >= 0) {
		*given = special_names[p->special].given;
		*sn = special_names[p->special].sn;
	} else {
		*given = first_names[p->first];
		*sn = last_names[p->last];
	}
}

/* Names handed out so far: uses counts each base name, taken holds every
 * name given, both by their matching key. */
struct names_used {
	struct strmap uses, taken;
};

/* A new string: base the first time, then base SEP 2, base SEP 3... unused before. */
static char *unique_name(struct names_used *u, const char *base, const char *sep)
{
	char *key = cn_key(base), *name, number[24];
	long *uses = strmap_counter(&u->uses, key);

	free(key);
	for (;;) {
		if (++*uses == 1) {
			name = xstrdup(base);
		} else {
			snprintf(number, sizeof number, "%ld", *uses);
			name = concat3(base, sep, number);
		}
		key = cn_key(name);
		long *taken = strmap_counter(&u->taken, key);
		free(key);
		if ((*taken)++ == 0)
			return name;
		free(name);
	}
}

/* Set p's cn (numbered "Name 2", "Name 3"... when --rdn cn needs it unique) and RDN value. */
static void assign_cn(struct person *p, long i, const struct options *opt, struct names_used *cns)
{
	const char *given, *sn;
	char *base, uid[24];

	person_names(p, &given, &sn);
	if (p->special >= 0 && special_names[p->special].cn)
		base = xstrdup(special_names[p->special].cn);
	else
		base = concat3(given, " ", sn);
	if (opt->rdn_cn) {
		p->cn = unique_name(cns, base, " ");
		free(base);
	} else {
		p->cn = base;
	}
	snprintf(uid, sizeof uid, "u%06ld", i + 1);
	p->rdn_value = opt->rdn_cn ? dn_escape(p->cn) : xstrdup(uid);
}

/* Set p's mail local part: first.last, numbered first.last2... when taken. */
static void assign_mail(struct person *p, long i, struct names_used *mails)
{
	const char *given, *sn;
	char g[64], s[64], local[160];

	person_names(p, &given, &sn);
	mail_part(given, g, sizeof g);
	mail_part(sn, s, sizeof s);
	if (!g[0] || !s[0])
		snprintf(local, sizeof local, "u%06ld", i + 1);
	else
		snprintf(local, sizeof local, "%s.%s", g, s);
	p->mail_local = unique_name(mails, local, "");
}

/* Pick names for everyone; the special ones go to their fixed uids. */
static void assign_names(struct person *people, long n, const struct options *opt, struct rng *r)
{
	struct names_used cns, mails;
	size_t s;
	long i;

	for (i = 0; i < n; i++) {
		people[i].first = (int)rng_below(r, sizeof first_names / sizeof first_names[0]);
		people[i].last = (int)rng_below(r, sizeof last_names / sizeof last_names[0]);
		people[i].special = -1;
	}
	for (s = 0; s < sizeof special_names / sizeof special_names[0]; s++)
		if (special_names[s].uid <= n)
			people[special_names[s].uid - 1].special = (int)s;
	strmap_init(&cns.uses, opt->rdn_cn ? (size_t)n : 0);
	strmap_init(&cns.taken, opt->rdn_cn ? (size_t)n : 0);
	strmap_init(&mails.uses, (size_t)n);
	strmap_init(&mails.taken, (size_t)n);
	for (i = 0; i < n; i++) {
		assign_cn(&people[i], i, opt, &cns);
		assign_mail(&people[i], i, &mails);
	}
	strmap_free(&cns.uses);
	strmap_free(&cns.taken);
	strmap_free(&mails.uses);
	strmap_free(&mails.taken);
}

/* ---------------------------------------------------------------- groups */

/* Succeed if person i may be selected into group g. */
static int eligible(const struct person *people, long i, enum group g)
{
	if (i == 0)
		return 0;
	if (g == GROUP_JUNIOR)
		return people[i].birth_year >= JUNIOR_BORN_FROM;
	return people[i].birth_year <= SENIOR_BORN_UNTIL;
}

/* Put want randomly chosen eligible people into group g; explicit wishes that
 * cannot be met stop the program with status 2. Returns the count chosen. */
static long select_group(struct person *people, long n, enum group g, long want, int explicit_want,
			 struct rng *r)
{
	long *pool = xmalloc((size_t)n * sizeof *pool), count = 0, i;

	for (i = 0; i < n; i++)
		if (eligible(people, i, g))
			pool[count++] = i;
	if (want > count) {
		if (explicit_want)
			usage_error("-%c %ld: only %ld people are born %s %d", g == GROUP_JUNIOR ? 'j' : 'k',
				    want, count, g == GROUP_JUNIOR ? "in or after" : "in or before",
				    g == GROUP_JUNIOR ? JUNIOR_BORN_FROM : SENIOR_BORN_UNTIL);
		want = count;
	}
	for (i = 0; i < want; i++) {
		long j = i + (long)rng_below(r, (uint32_t)(count - i)), t = pool[i];
		pool[i] = pool[j];
		pool[j] = t;
		people[pool[i]].group = g;
	}
	free(pool);
	return want;
}

/* Give three group members values sync must skip: the first junior an extra
 * "nonsense" competence, the first senior digcomp.2=99, the second senior no birth year. */
static void inject_malformed(struct person *people, long n, struct rng *r)
{
	long i;
	int seniors = 0, juniors = 0;

	for (i = 0; i < n; i++) {
		struct person *p = &people[i];
		if (p->group == GROUP_JUNIOR && ++juniors == 1)
			p->malformed = MAL_NONSENSE;
		if (p->group == GROUP_SENIOR && ++seniors <= 2)
			p->malformed = seniors == 1 ? MAL_LEVEL99 : MAL_NO_BIRTH_YEAR;
		if ((p->malformed == MAL_NONSENSE || p->malformed == MAL_LEVEL99) && !p->assessed_y) {
			assign_levels(p, r);
			p->assessed_y = LAST_YEAR;
			p->assessed_m = 6;
			p->assessed_d = 1;
		}
	}
}

/* ---------------------------------------------------------------- output */

/* The mail domain: the dc= values of the suffix joined with dots. */
static char *mail_domain(const char *suffix)
{
	char *domain = xmalloc(strlen(suffix) + 16), *o = domain;
	const char *s = suffix;

	while (*s) {
		if ((s == suffix || s[-1] == ',') && (s[0] == 'd' || s[0] == 'D') &&
		    (s[1] == 'c' || s[1] == 'C') && s[2] == '=') {
			if (o != domain)
				*o++ = '.';
			for (s += 3; *s && *s != ','; s++)
				*o++ = *s;
		} else {
			s++;
		}
	}
	if (o == domain)
		strcpy(o, "example.com");
	else
		*o = '\0';
	return domain;
}

/* The suffix entry, the three OUs and the service account. */
static void write_base(const struct options *opt)
{
	const char *comma = strchr(opt->suffix, ',');
	size_t first = comma ? (size_t)(comma - opt->suffix) : strlen(opt->suffix);
	int is_dc = strncmp(opt->suffix, "dc=", 3) == 0;
	char value[1024], org[1100];
	static const char *const ous[] = { "people", "groups", "services" };
	size_t k;

	snprintf(value, sizeof value, "%.*s", (int)(first - (is_dc ? 3 : 2)), opt->suffix + (is_dc ? 3 : 2));
	snprintf(org, sizeof org, "%c%s Corp", value[0] >= 'a' && value[0] <= 'z' ? value[0] - 32 : value[0],
		 value + 1);
	put_attr("dn", opt->suffix);
	fputs("objectClass: top\n", stdout);
	if (is_dc)
		fputs("objectClass: dcObject\n", stdout);
	fputs("objectClass: organization\n", stdout);
	if (is_dc)
		put_attr("dc", value);
	put_attr("o", is_dc ? org : value);
	for (k = 0; k < sizeof ous / sizeof ous[0]; k++) {
		printf("\ndn: ou=%s,", ous[k]);
		fputs(opt->suffix, stdout);
		printf("\nobjectClass: top\nobjectClass: organizationalUnit\nou: %s\n", ous[k]);
	}
	printf("\ndn: cn=mentord,ou=services,%s\n", opt->suffix);
	fputs("objectClass: top\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
	      "cn: mentord\ndescription: mentord service account\nuserPassword: mentord-secret\n", stdout);
}

/* The title of p, from its place in the tree and its age. */
static void person_title(const struct person *p, long i, char *buf, size_t size)
{
	const char *grade = p->birth_year <= 1980 ? "Senior " : p->birth_year >= 2003 ? "Junior " : "";

	if (i == 0)
		snprintf(buf, size, "Chief Executive Officer");
	else if (p->depth == 1)
		snprintf(buf, size, "Head of %s", dept_names[p->dept]);
	else if (p->reports > 0)
		snprintf(buf, size, "%s %s", dept_names[p->dept], p->depth == 2 ? "Director" : "Manager");
	else
		snprintf(buf, size, "%s%s", grade, dept_roles[p->dept][(unsigned)i % 3]);
}

/* The competence values and fixture marker of p. */
static void write_competences(const struct person *p)
{
	int a;

	if (!p->assessed_y)
		return;
	put_date("mentoringAssessed", p->assessed_y, p->assessed_m, p->assessed_d);
	for (a = 0; a < AREAS; a++) {
		if (a == 1 && p->malformed == MAL_LEVEL99)
			fputs("mentoringCompetence: digcomp.2=99\n", stdout);
		else
			printf("mentoringCompetence: digcomp.%d=%d\n", a + 1, p->level[a]);
	}
	if (p->malformed == MAL_NONSENSE)
		fputs("mentoringCompetence: nonsense\n", stdout);
}

/* One person entry. */
static void write_person(const struct person *people, long i, const struct options *opt,
			 const char *domain)
{
	static const char *const fixture[] = {
		NULL, "gencompany fixture: malformed mentoringCompetence (nonsense)",
		"gencompany fixture: malformed mentoringCompetence (digcomp.2=99)",
		"gencompany fixture: no mentoringBirthYear",
	};
	const struct person *p = &people[i];
	const char *given, *sn;
	char dn[MAX_DN], text[256];

	person_names(p, &given, &sn);
	person_dn(dn, sizeof dn, p, opt);
	putchar('\n');
	put_attr("dn", dn);
	fputs("objectClass: top\nobjectClass: person\nobjectClass: organizationalPerson\n"
	      "objectClass: inetOrgPerson\nobjectClass: mentoringParticipant\n", stdout);
	printf("uid: u%06ld\n", i + 1);
	put_attr("cn", p->cn);
	put_attr("sn", sn);
	put_attr("givenName", given);
	printf("mail: %s@%s\n", p->mail_local, domain);
	person_title(p, i, text, sizeof text);
	put_attr("title", text);
	put_attr("departmentNumber", p->dept < 0 ? "Executive Office" : dept_names[p->dept]);
	put_attr("l", offices[p->office]);
	printf("employeeNumber: %ld\n", 100000 + i + 1);
	if (p->manager >= 0) {
		person_dn(dn, sizeof dn, &people[p->manager], opt);
		put_attr("manager", dn);
	}
	if (p->malformed != MAL_NO_BIRTH_YEAR)
		put_int("mentoringBirthYear", p->birth_year);
	put_date("mentoringHireDate", p->hire_y, p->hire_m, p->hire_d);
	write_competences(p);
	if (p->capacity >= 0)
		put_int("mentoringCapacity", p->capacity);
	if (p->malformed != MAL_NONE)
		put_attr("description", fixture[p->malformed]);
}

/* One HR selection group, left out when it has no members. */
static void write_group(const struct person *people, long n, enum group g, const struct options *opt)
{
	const char *name = g == GROUP_JUNIOR ? "mentoring-juniors" : "mentoring-seniors";
	char dn[MAX_DN];
	long i;

	for (i = 0; i < n && people[i].group != g; i++)
		;
	if (i == n)
		return;
	printf("\ndn: cn=%s,ou=groups,%s\nobjectClass: top\nobjectClass: groupOfNames\ncn: %s\n",
	       name, opt->suffix, name);
	printf("description: %s selected by HR for reverse mentoring\n",
	       g == GROUP_JUNIOR ? "Juniors (mentors)" : "Seniors (mentees)");
	for (; i < n; i++) {
		if (people[i].group != g)
			continue;
		person_dn(dn, sizeof dn, &people[i], opt);
		put_attr("member", dn);
	}
}

/* Write the whole company. */
static void write_company(const struct person *people, long n, const struct options *opt)
{
	char *domain = mail_domain(opt->suffix);
	long i;

	write_base(opt);
	for (i = 0; i < n; i++)
		write_person(people, i, opt, domain);
	write_group(people, n, GROUP_JUNIOR, opt);
	write_group(people, n, GROUP_SENIOR, opt);
	free(domain);
}

int main(int argc, char **argv)
{
	struct options opt;
	struct person *people;
	struct rng r;
	long i, n;
	static char outbuf[1 << 16];

	parse_args(argc, argv, &opt);
	n = opt.staff;
	people = xmalloc((size_t)n * sizeof *people);
	memset(people, 0, (size_t)n * sizeof *people);
	rng_seed(&r, opt.seed, STREAM_TREE);
	build_tree(people, n, &r);
	rng_seed(&r, opt.seed, STREAM_AGE);
	assign_birth_years(people, n, &r);
	rng_seed(&r, opt.seed, STREAM_SKILLS);
	assign_skills(people, n, &r);
	rng_seed(&r, opt.seed, STREAM_NAMES);
	assign_names(people, n, &opt, &r);
	rng_seed(&r, opt.seed, STREAM_GROUPS);
	select_group(people, n, GROUP_JUNIOR, opt.juniors >= 0 ? opt.juniors : (n * 75 + 500) / 1000,
		     opt.juniors >= 0, &r);
	select_group(people, n, GROUP_SENIOR, opt.seniors >= 0 ? opt.seniors : (n * 150 + 500) / 1000,
		     opt.seniors >= 0, &r);
	inject_malformed(people, n, &r);

	setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
	write_company(people, n, &opt);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("gencompany: writing the LDIF");
		return 1;
	}
	for (i = 0; i < n; i++) {
		free(people[i].cn);
		free(people[i].mail_local);
		free(people[i].rdn_value);
	}
	free(people);
	return 0;
}
