/*
 * The configuration file: read with libconfig, then checked key by key
 * against fixed tables so that every unknown key, wrong type, out-of-range
 * value and missing required key is reported as "file:line: message" in one
 * go. Defaults are filled in first and overwritten by what the file says; the
 * caller sees either a complete, consistent struct conf or the list of errors.
 * Only this file knows libconfig.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

#include "conf.h"
#include "util.h"

/* Bounds on the input: anything larger is not a configuration file. */
#define CONF_MAX_BYTES (1024 * 1024)
/* Longest "group.key" name we build for messages. */
#define QNAME_MAX 128
/* Longer unknown keys get no "did you mean" hint (ours are all shorter). */
#define HINT_MAX 32
/* Room for conf_keys(): more "group.key" names than the tables hold. */
#define CONF_KEYS_MAX 160
/* Longest area id, as in model.h (MODEL_AREA_MAX - 1). */
#define AREA_ID_MAX 63
/* The default competence standard, and the range of birth years. */
#define DEFAULT_STANDARD 4
#define YEAR_MIN 1900
#define YEAR_MAX 2100

/* What libconfig types a key may have; combined as a bit set. */
enum kind {
	K_INT = 1,
	K_FLOAT = 2,
	K_STRING = 4,
	K_BOOL = 8,
	K_ARRAY = 16,
	K_LIST = 32,
	K_GROUP = 64,
};

/* One error message and where it points, for sorting by line. */
struct conf_error {
	unsigned line; /* 0: the file as a whole, sorted last */
	size_t seq;    /* order of discovery, to keep the sort stable */
	char *text;    /* "file:line: message" */
};

/* Where an integer libconfig would truncate sits: a file (NULL: the main one) and line. */
struct wide_int {
	const char *file; /* as libconfig names it; owned by the config_t */
	unsigned line;
};

/* The state of one load: where errors go and the struct being filled. */
struct ctx {
	const char *path;
	char *dir; /* the directory of path: where @include names are looked up */
	struct conf_error *errors;
	size_t n_errors, cap_errors;
	struct wide_int *wide; /* integers libconfig would truncate */
	size_t n_wide, cap_wide;
	struct conf *cf;
};

/* A string validator: NULL if s is acceptable, else why not (a phrase). */
typedef const char *(*str_check)(const char *s);

/* ------------------------------------------------------------------ */
/* Key tables: the whole file format in one place. */

static const char *const top_keys[] = { "directory", "people", "participants", "cohorts",
					"model", "matching", "writeback", "state", "daemon", NULL };
static const char *const directory_keys[] = { "uri", "base", "bind_dn", "password_file", "tls",
					      "ca_file", "cert_file", "key_file", "timeout", "idle_timeout",
					      "page_size", "type", "ad_sync", "sasl_mech", NULL };
static const char *const people_keys[] = { "base", "filter", "attributes", "full_sync_interval", NULL };
static const char *const participants_keys[] = { "juniors", "seniors", "member_attribute",
						 "trained_mentors", "excluded", NULL };
static const char *const cohort_keys[] = { "name", "from", "to", NULL };
static const char *const model_keys[] = { "scale", "levels", "areas", NULL };
static const char *const area_keys[] = { "id", "name", "description", "direction", "standard",
					 "weight", "competences", NULL };
static const char *const competence_keys[] = { "id", "name", "description", "standard", NULL };
static const char *const matching_keys[] = { "capacity", "mentors_per_senior", "min_score", "seniority_gap",
					     "max_timezone_hours", "timezones", "bonus",
					     "cooldown_days", "publish", "threads", NULL };
static const char *const bonus_keys[] = { "cross_department", "same_timezone", "near_timezone",
					  "near_hours", "stability", NULL };
static const char *const timezone_keys[] = { "location", "offset", NULL };
static const char *const writeback_keys[] = { "ou", "owner", "max_delete_percent", NULL };
static const char *const state_keys[] = { "database", NULL };
static const char *const daemon_keys[] = { "interval", "jitter", "metrics_file", NULL };

/* Keys that would put the bind secret into this file. */
static const char *const secret_keys[] = { "password", "bind_pw", "bindpw", "bind_password",
					   "passwd", "secret", "credentials", NULL };

/* The person attribute map: key in people.attributes, field, default. */
static const struct attr_key {
	const char *key;
	size_t offset;
	const char *def;
} attr_keys[] = {
	{ "id", offsetof(struct conf_attrs, id), "entryUUID" },
	{ "name", offsetof(struct conf_attrs, name), "cn" },
	{ "mail", offsetof(struct conf_attrs, mail), "mail" },
	{ "title", offsetof(struct conf_attrs, title), "title" },
	{ "department", offsetof(struct conf_attrs, department), "departmentNumber" },
	{ "manager", offsetof(struct conf_attrs, manager), "manager" },
	{ "location", offsetof(struct conf_attrs, location), "l" },
	{ "birth_year", offsetof(struct conf_attrs, birth_year), "mentoringBirthYear" },
	{ "hire_date", offsetof(struct conf_attrs, hire_date), "mentoringHireDate" },
	{ "competence", offsetof(struct conf_attrs, competence), "mentoringCompetence" },
	{ "capacity", offsetof(struct conf_attrs, capacity), "mentoringCapacity" },
	{ "avoid", offsetof(struct conf_attrs, avoid), "mentoringAvoid" },
};

static const struct {
	const char *name;
	int from, to;
} default_cohorts[] = {
	{ "Baby Boomers", 1946, 1964 },
	{ "X", 1965, 1979 },
	{ "Y", 1980, 2000 },
	{ "Z", 2001, 2010 },
};

/* The five areas of DigComp 2.2, the EU digital competence framework. */
static const struct {
	const char *id, *name;
	int standard, weight;
} default_areas[] = {
	{ "digcomp.1", "Information and data literacy", DEFAULT_STANDARD, 1 },
	{ "digcomp.2", "Communication and collaboration", DEFAULT_STANDARD, 1 },
	{ "digcomp.3", "Digital content creation", DEFAULT_STANDARD, 1 },
	{ "digcomp.4", "Safety", DEFAULT_STANDARD, 1 },
	{ "digcomp.5", "Problem solving", DEFAULT_STANDARD, 1 },
};

static const char *const tls_names[] = { "none", "starttls", "ldaps" };
/* Indexed by enum conf_dir_type, enum conf_ad_sync. */
static const char *const dir_type_names[] = { "auto", "openldap", "ad", NULL };
static const char *const ad_sync_names[] = { "auto", "dirsync", "usn", NULL };
static const char *const sasl_mech_names[] = { "GSSAPI", "EXTERNAL", NULL };
/* Indexed by enum conf_direction. */
static const char *const direction_names[] = { "digital", "leadership", "business" };

/*
 * The key table of every group and list (by qualified name) below the top
 * level, for conf_keys(); the parser names the same tables directly.
 * people.attributes has no entry: its keys come from attr_keys. A group
 * missing here would be listed as a leaf, which check_conf catches.
 */
static const struct {
	const char *name;
	const char *const *keys;
} nested_keys[] = {
	{ "directory", directory_keys },
	{ "people", people_keys },
	{ "participants", participants_keys },
	{ "cohorts", cohort_keys },
	{ "model", model_keys },
	{ "model.areas", area_keys },
	{ "model.areas.competences", competence_keys },
	{ "matching", matching_keys },
	{ "matching.bonus", bonus_keys },
	{ "matching.timezones", timezone_keys },
	{ "writeback", writeback_keys },
	{ "state", state_keys },
	{ "daemon", daemon_keys },
};

/* The attribute-map field at offset off. */
static char **attr_field(struct conf_attrs *a, size_t off)
{
	return (char **)(void *)((char *)a + off);
}

/* The value of the attribute-map field at offset off. */
static const char *attr_value(const struct conf_attrs *a, size_t off)
{
	return *(char *const *)(const void *)((const char *)a + off);
}

/* The keys of people.attributes as a NULL-terminated table in names. */
static const char *const *attr_key_names(const char *names[ARRAY_LEN(attr_keys) + 1])
{
	for (size_t i = 0; i < ARRAY_LEN(attr_keys); i++)
		names[i] = attr_keys[i].key;
	names[ARRAY_LEN(attr_keys)] = NULL;
	return names;
}

/* ------------------------------------------------------------------ */
/* Error reporting */

/* Append one "file:line: message" line; line 0 means the file as a whole. */
static void __attribute__((format(printf, 4, 0)))
vreport_at(struct ctx *cx, const char *file, unsigned line, const char *fmt, va_list ap)
{
	struct conf_error *e;
	struct sbuf sb = { 0 };
	char *msg;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	if (line)
		sbuf_addf(&sb, "%s:%u: %s", file, line, msg ? msg : "out of memory");
	else
		sbuf_addf(&sb, "%s: %s", file, msg ? msg : "out of memory");
	free(msg);
	cx->errors = xgrow(cx->errors, &cx->cap_errors, cx->n_errors + 1, sizeof(*cx->errors));
	e = &cx->errors[cx->n_errors];
	e->line = line;
	e->seq = cx->n_errors++;
	e->text = sbuf_take(&sb);
}

/* Order errors by line, file-wide ones last, otherwise as found. */
static int cmp_error(const void *a, const void *b)
{
	const struct conf_error *x = a, *y = b;
	unsigned lx = x->line ? x->line : UINT_MAX, ly = y->line ? y->line : UINT_MAX;
	if (lx != ly)
		return lx < ly ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* All errors in line order, one per line, as one new string; frees them. */
static char *take_errors(struct ctx *cx)
{
	struct sbuf sb = { 0 };
	qsort(cx->errors, cx->n_errors, sizeof(*cx->errors), cmp_error);
	for (size_t i = 0; i < cx->n_errors; i++) {
		sbuf_addf(&sb, "%s%s", i ? "\n" : "", cx->errors[i].text);
		free(cx->errors[i].text);
	}
	free(cx->errors);
	cx->errors = NULL;
	cx->n_errors = 0;
	return sbuf_take(&sb);
}

/*
 * The name to show for a file as libconfig names it: NULL is the file
 * loaded; libconfig 1.5 keeps an included file's name as written in the
 * @include, relative to cx->dir, so that is put in front. buf holds PATH_MAX.
 */
static const char *file_name(const struct ctx *cx, const char *file, char *buf)
{
	if (!file)
		return cx->path;
	if (file[0] == '/' || !cx->dir || strcmp(cx->dir, ".") == 0)
		return file;
	snprintf(buf, PATH_MAX, "%s%s%s", cx->dir, strcmp(cx->dir, "/") ? "/" : "", file);
	return buf;
}

/* Report a problem at setting s (or at the file if s is NULL or the root). */
static void __attribute__((format(printf, 3, 4)))
report(struct ctx *cx, const config_setting_t *s, const char *fmt, ...)
{
	char buf[PATH_MAX];
	va_list ap;
	va_start(ap, fmt);
	vreport_at(cx, file_name(cx, s ? config_setting_source_file(s) : NULL, buf),
		   s ? s->line : 0, fmt, ap);
	va_end(ap);
}

/* Report a problem at an explicit line of a file (NULL: the file loaded). */
static void __attribute__((format(printf, 4, 5)))
report_line(struct ctx *cx, const char *file, unsigned line, const char *fmt, ...)
{
	char buf[PATH_MAX];
	va_list ap;
	va_start(ap, fmt);
	vreport_at(cx, file_name(cx, file, buf), line, fmt, ap);
	va_end(ap);
}

/* "group.key", or just "key" at the top level; buf holds QNAME_MAX bytes. */
static const char *qname(char *buf, const char *group, const char *key)
{
	if (group && *group)
		snprintf(buf, QNAME_MAX, "%s.%s", group, key);
	else
		snprintf(buf, QNAME_MAX, "%s", key);
	return buf;
}

/* The kind bit of a libconfig type. */
static int kind_of(int type)
{
	switch (type) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return K_INT;
	case CONFIG_TYPE_FLOAT:
		return K_FLOAT;
	case CONFIG_TYPE_STRING:
		return K_STRING;
	case CONFIG_TYPE_BOOL:
		return K_BOOL;
	case CONFIG_TYPE_ARRAY:
		return K_ARRAY;
	case CONFIG_TYPE_LIST:
		return K_LIST;
	default:
		return K_GROUP;
	}
}

/* "an integer", "a string", ... for one kind bit. */
static const char *kind_name(int kind)
{
	switch (kind) {
	case K_INT:
		return "an integer";
	case K_FLOAT:
		return "a float";
	case K_STRING:
		return "a string";
	case K_BOOL:
		return "a boolean";
	case K_ARRAY:
		return "an array";
	case K_LIST:
		return "a list";
	default:
		return "a group";
	}
}

/* Check that setting s (named name) has one of the kinds; report if not. */
static int expect_kind(struct ctx *cx, const config_setting_t *s, const char *name, int kinds)
{
	struct sbuf want = { 0 };
	int got = kind_of(config_setting_type(s));
	if (got & kinds)
		return 0;
	for (int k = 1; k <= K_GROUP; k <<= 1) {
		if (!(kinds & k) || (k == K_LIST && (kinds & K_ARRAY)))
			continue;
		sbuf_addf(&want, "%s%s", want.len ? " or " : "", kind_name(k));
	}
	report(cx, s, "%s: expected %s, got %s", name, want.buf, kind_name(got));
	sbuf_free(&want);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Unknown keys */

/* Edit distance with adjacent transpositions, case-insensitive; big when long. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b), d[HINT_MAX + 1][HINT_MAX + 1];
	if (n > HINT_MAX || m > HINT_MAX)
		return SIZE_MAX;
	for (size_t i = 0; i <= n; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			size_t best = d[i - 1][j - 1] + cost;
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[n][m];
}

/* The known key closest to name, if it is a plausible typo, else NULL. */
static const char *near_miss(const char *name, const char *const *keys)
{
	const char *best = NULL;
	size_t best_d = 3, len = strlen(name);
	for (size_t i = 0; keys[i]; i++) {
		size_t d = edit_distance(name, keys[i]);
		if (d < best_d && 3 * d <= len) {
			best = keys[i];
			best_d = d;
		}
	}
	return best;
}

/* Index of name in a NULL-terminated table, or -1. */
static int key_index(const char *name, const char *const *keys)
{
	for (int i = 0; keys[i]; i++)
		if (strcmp(name, keys[i]) == 0)
			return i;
	return -1;
}

/* Report one key that is not in the table for its group. */
static void report_unknown(struct ctx *cx, const config_setting_t *s, const char *group,
			   const char *const *keys)
{
	const char *name = config_setting_name(s);
	const char *hint = near_miss(name, keys);
	char where[QNAME_MAX + 16];
	if (key_index(name, secret_keys) >= 0) {
		report(cx, s, "%s: the bind password must not be in the configuration file; "
			      "write it to a file readable only by mentord and set "
			      "directory.password_file", qname(where, group, name));
		return;
	}
	if (group && *group)
		snprintf(where, sizeof(where), "in group \"%s\"", group);
	else
		snprintf(where, sizeof(where), "at top level");
	report(cx, s, "unknown key \"%s\" %s%s%s%s", name, where, hint ? "; did you mean " : "",
	       hint ? hint : "", hint ? "?" : "");
}

/* Report every member of group g that is not one of keys. */
static void check_keys(struct ctx *cx, const config_setting_t *g, const char *group,
		       const char *const *keys)
{
	int n = config_setting_length(g);
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		if (key_index(config_setting_name(s), keys) < 0)
			report_unknown(cx, s, group, keys);
	}
}

/* ------------------------------------------------------------------ */
/* Typed getters: absent keys leave the default alone. */

/* Member key of group g (may be NULL) if present with one of kinds; NULL otherwise. */
static const config_setting_t *member(struct ctx *cx, const config_setting_t *g, const char *group,
				      const char *key, int kinds)
{
	char name[QNAME_MAX];
	const config_setting_t *s = g ? config_setting_get_member(g, key) : NULL;
	if (!s || expect_kind(cx, s, qname(name, group, key), kinds) < 0)
		return NULL;
	return s;
}

/* Open sub-group key of g, check its keys; NULL when absent or not a group. */
static const config_setting_t *open_group(struct ctx *cx, const config_setting_t *g,
					  const char *group, const char *key,
					  const char *const *keys)
{
	char name[QNAME_MAX];
	const config_setting_t *s = member(cx, g, group, key, K_GROUP);
	if (s)
		check_keys(cx, s, qname(name, group, key), keys);
	return s;
}

/* Whether setting s is on a line holding an integer libconfig truncated (already reported). */
static int is_wide_line(const struct ctx *cx, const config_setting_t *s)
{
	const char *file = config_setting_source_file(s);
	for (size_t i = 0; i < cx->n_wide; i++) {
		const char *f = cx->wide[i].file;
		if (cx->wide[i].line == s->line && (f == file || (f && file && strcmp(f, file) == 0)))
			return 1;
	}
	return 0;
}

/* Check an integer setting against [min, max]; 0 and *out set when fine. */
static int int_value(struct ctx *cx, const config_setting_t *s, const char *name, long min,
		     long max, int *out)
{
	long long v = config_setting_get_int64(s);
	if (is_wide_line(cx, s))
		return -1;
	if (v < min || v > max) {
		report(cx, s, "%s: %lld is out of range (%ld..%ld)", name, v, min, max);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* Read optional integer key; 1 if set, 0 if absent, -1 on error. */
static int opt_int(struct ctx *cx, const config_setting_t *g, const char *group, const char *key,
		   long min, long max, int *out)
{
	char name[QNAME_MAX];
	const config_setting_t *s;
	if (!g || !config_setting_get_member(g, key))
		return 0;
	s = member(cx, g, group, key, K_INT);
	if (!s || int_value(cx, s, qname(name, group, key), min, max, out) < 0)
		return -1;
	return 1;
}

/* Check a string setting's value; 0 when fine. */
static int str_value(struct ctx *cx, const config_setting_t *s, const char *name, str_check check)
{
	const char *v = config_setting_get_string(s);
	const char *why = check ? check(v) : NULL;
	if (!why)
		return 0;
	report(cx, s, "%s: \"%s\" %s", name, v, why);
	return -1;
}

/* Read optional string key into *out (replacing it); 1 set, 0 absent, -1 error. */
static int opt_str(struct ctx *cx, const config_setting_t *g, const char *group, const char *key,
		   str_check check, char **out)
{
	char name[QNAME_MAX];
	const config_setting_t *s;
	if (!g || !config_setting_get_member(g, key))
		return 0;
	s = member(cx, g, group, key, K_STRING);
	if (!s || str_value(cx, s, qname(name, group, key), check) < 0)
		return -1;
	free(*out);
	*out = xstrdup(config_setting_get_string(s));
	return 1;
}

/*
 * Report required key missing from group g, at g's line; or at the file when
 * g itself is absent from parent. A group that is there with the wrong type
 * has been reported already, so its keys are not.
 */
static void need(struct ctx *cx, const config_setting_t *parent, const config_setting_t *g,
		 const char *group, const char *key)
{
	char name[QNAME_MAX];
	if (g && config_setting_get_member(g, key))
		return;
	if (!g && parent && config_setting_get_member(parent, group))
		return;
	report(cx, g, "missing required key %s", qname(name, group, key));
}

/* ------------------------------------------------------------------ */
/* Value syntax checks */

/* Any non-empty string (paths: the modules that open them report errors). */
static const char *check_nonempty(const char *s)
{
	return *s ? NULL : "must not be empty";
}

/* The metrics file: absolute (the daemon runs in /), named as the collector reads it. */
static const char *check_metrics_path(const char *s)
{
	size_t len = strlen(s);
	if (s[0] != '/')
		return "is not an absolute path";
	if (len < 6 || strcmp(s + len - 5, ".prom") != 0 || s[len - 6] == '/')
		return "does not end in \".prom\" (the textfile collector reads only *.prom files)";
	return NULL;
}

/* A label shown to people and written to the directory: printable, non-empty. */
static const char *check_label(const char *s)
{
	if (!*s)
		return "must not be empty";
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return "must not contain control characters";
	return NULL;
}

/* Index of the next unescaped separator in s (',' or '+'), or its length. */
static size_t rdn_span(const char *s)
{
	size_t i = 0;
	while (s[i] && s[i] != ',' && s[i] != '+') {
		if (s[i] == '\\' && s[i + 1])
			i++;
		i++;
	}
	return i;
}

/* One attribute=value piece of a DN: a non-empty type of [A-Za-z0-9.-] and '='. */
static int ava_ok(const char *s, size_t len)
{
	size_t i = 0, type_len = 0;
	while (i < len && s[i] == ' ')
		i++;
	while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '.')) {
		i++;
		type_len++;
	}
	while (i < len && s[i] == ' ')
		i++;
	return type_len > 0 && i < len && s[i] == '=';
}

/* A light DN check; libldap (in dir) does the real parsing. */
static const char *check_dn(const char *s)
{
	size_t len = strlen(s);
	if (!len)
		return "must not be empty";
	if (isspace((unsigned char)s[0]) || isspace((unsigned char)s[len - 1]))
		return "is not a valid DN (leading or trailing blanks)";
	for (;;) {
		size_t n = rdn_span(s);
		if (!ava_ok(s, n))
			return "is not a valid DN (expected attribute=value pairs separated by commas)";
		if (!s[n])
			return NULL;
		s += n + 1;
	}
}

/* An LDAP URI with a scheme we can use, and no blanks (one URI per string). */
static const char *check_uri(const char *s)
{
	if (strncasecmp(s, "ldap://", 7) != 0 && strncasecmp(s, "ldaps://", 8) != 0 &&
	    strncasecmp(s, "ldapi://", 8) != 0)
		return "is not an LDAP URI (ldap://, ldaps:// or ldapi://)";
	if (strpbrk(s, " \t\r\n"))
		return "contains blanks; give several URIs as an array, one per string";
	return NULL;
}

/* A search filter: "(...)" with balanced parentheses and no empty "()". */
static const char *check_filter(const char *s)
{
	const char *end = NULL;
	int depth = 0;
	if (s[0] != '(')
		return "is not an LDAP filter (must start with \"(\")";
	for (const char *p = s; *p; p++) {
		if (*p == '(') {
			depth++;
		} else if (*p == ')') {
			if (p[-1] == '(')
				return "is not an LDAP filter (empty \"()\")";
			if (--depth < 0)
				return "is not an LDAP filter (unbalanced parentheses)";
			if (depth == 0 && !end)
				end = p;
		}
	}
	if (depth)
		return "is not an LDAP filter (unbalanced parentheses)";
	return end && end[1] ? "is not an LDAP filter (text after the closing parenthesis)" : NULL;
}

/* A numeric OID at s: digits and single dots, no leading zeros; length or 0. */
static size_t oid_len(const char *s)
{
	size_t i = 0;
	for (;;) {
		size_t start = i;
		while (isdigit((unsigned char)s[i]))
			i++;
		if (i == start || (s[start] == '0' && i - start > 1))
			return 0;
		if (s[i] != '.')
			return i;
		i++;
	}
}

/* An attribute description: a name or numeric OID, then ";option"s. */
static const char *check_attr(const char *s)
{
	static const char bad[] = "is not an attribute description (a name such as \"mail\" "
				  "or a numeric OID, with optional ;options)";
	size_t i;
	if (isalpha((unsigned char)s[0])) {
		for (i = 1; isalnum((unsigned char)s[i]) || s[i] == '-'; i++)
			;
	} else {
		i = oid_len(s);
		if (!i)
			return bad;
	}
	while (s[i] == ';') {
		size_t start = ++i;
		while (isalnum((unsigned char)s[i]) || s[i] == '-')
			i++;
		if (i == start)
			return bad;
	}
	return s[i] ? bad : NULL;
}

/* A word of [A-Za-z0-9._-] between 1 and max characters. */
static int is_word(const char *s, size_t max)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");
	return n > 0 && n <= max && !s[n];
}

/* The ownership marker: a plain word, safe in any attribute value. */
static const char *check_owner(const char *s)
{
	return is_word(s, SIZE_MAX) ? NULL : "is not a valid owner (one or more of A-Z a-z 0-9 . _ -)";
}

/* An area id as model_parse_competence() accepts it. */
static const char *check_area_id(const char *s)
{
	return is_word(s, AREA_ID_MAX) ? NULL
				       : "is not a valid area id (1 to 63 of A-Z a-z 0-9 . _ -)";
}

/* A competence id: the same characters as an area id. */
static const char *check_competence_id(const char *s)
{
	return is_word(s, AREA_ID_MAX) ? NULL
				       : "is not a valid competence id (1 to 63 of A-Z a-z 0-9 . _ -)";
}

/* Lower-case DN with the blanks around separators dropped, for comparison. */
static char *dn_normalise(const char *dn)
{
	char *out = xmalloc(strlen(dn) + 1), *o = out;
	for (const char *p = dn; *p; p++) {
		if (*p == '\\' && p[1]) {
			*o++ = *p++;
			*o++ = (char)tolower((unsigned char)*p);
			continue;
		}
		if (*p == ' ' && (o == out || strchr(",=+", o[-1]) || strchr(",=+ ", p[1])))
			continue;
		*o++ = (char)tolower((unsigned char)*p);
	}
	*o = '\0';
	return out;
}

/* Whether two DNs are the same after normalising. */
static int dn_equal(const char *a, const char *b)
{
	char *na = dn_normalise(a), *nb = dn_normalise(b);
	int eq = strcmp(na, nb) == 0;
	free(na);
	free(nb);
	return eq;
}

/* Whether dn lies strictly below base (ends with ",<base>" after normalising). */
static int dn_is_below(const char *dn, const char *base)
{
	char *nd = dn_normalise(dn), *nb = dn_normalise(base);
	size_t ld = strlen(nd), lb = strlen(nb), slashes = 0;
	int below = ld > lb + 1 && strcmp(nd + ld - lb, nb) == 0 && nd[ld - lb - 1] == ',';
	for (size_t i = ld - lb - 1; below && i > 0 && nd[i - 1] == '\\'; i--)
		slashes++;
	free(nd);
	free(nb);
	return below && slashes % 2 == 0;
}

/* ------------------------------------------------------------------ */
/* Integers libconfig 1.5 would silently truncate */

/* Past a string literal starting at p (the opening quote), counting lines. */
static const char *skip_string(const char *p, unsigned *line)
{
	for (p++; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		if (*p == '\n')
			(*line)++;
	}
	return *p ? p + 1 : p;
}

/* Past a comment starting at p (#, // or slash-star), counting lines. */
static const char *skip_comment(const char *p, unsigned *line)
{
	if (p[0] != '/' || p[1] != '*')
		return p + strcspn(p, "\n");
	for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
		if (*p == '\n')
			(*line)++;
	return *p ? p + 2 : p;
}

/* Check the number starting at p (a digit) in file; report if it exceeds 32 bits. */
static const char *check_number(struct ctx *cx, const char *file, const char *p, unsigned line,
				int negative)
{
	int hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
	const char *start = p + (hex ? 2 : 0), *end = start;
	unsigned long long v;
	while (hex ? isxdigit((unsigned char)*end) : isdigit((unsigned char)*end))
		end++;
	if (*end == 'L')
		return end + 1; /* an int64: libconfig reads it in full */
	if (!hex && (*end == '.' || *end == 'e' || *end == 'E'))
		return end + strspn(end, "0123456789.eE+-"); /* a float */
	errno = 0;
	v = strtoull(start, NULL, hex ? 16 : 10);
	if (errno == ERANGE || v > (unsigned long long)INT_MAX + (negative && !hex)) {
		report_line(cx, file, line, "integer %s%.*s is too large (at most %d; libconfig would "
				      "silently truncate it)",
			    negative ? "-" : "", (int)(end - p), p, INT_MAX);
		cx->wide = xgrow(cx->wide, &cx->cap_wide, cx->n_wide + 1, sizeof(*cx->wide));
		cx->wide[cx->n_wide].file = file;
		cx->wide[cx->n_wide++].line = line;
	}
	return end;
}

/* Find integer literals beyond 32 bits in text of file, which libconfig 1.5 wraps silently. */
static void scan_wide_ints(struct ctx *cx, const char *file, const char *text)
{
	unsigned line = 1;
	const char *p = text;
	while (*p) {
		if (*p == '\n') {
			line++;
			p++;
		} else if (*p == '"') {
			p = skip_string(p, &line);
		} else if (*p == '#' || (p[0] == '/' && (p[1] == '/' || p[1] == '*'))) {
			p = skip_comment(p, &line);
		} else if (isalpha((unsigned char)*p) || *p == '_' || *p == '*' || *p == '@') {
			while (*p && (isalnum((unsigned char)*p) || strchr("_*-@", *p)))
				p++;
		} else if (isdigit((unsigned char)*p)) {
			p = check_number(cx, file, p, line, p > text && p[-1] == '-');
		} else {
			p++;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Defaults and freeing */

/* Free a NULL-terminated string vector. */
static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Copy the built-in cohort table. */
static void set_default_cohorts(struct conf *cf)
{
	cf->n_cohorts = ARRAY_LEN(default_cohorts);
	cf->cohorts = xcalloc(cf->n_cohorts, sizeof(*cf->cohorts));
	for (size_t i = 0; i < cf->n_cohorts; i++) {
		cf->cohorts[i].name = xstrdup(default_cohorts[i].name);
		cf->cohorts[i].from = default_cohorts[i].from;
		cf->cohorts[i].to = default_cohorts[i].to;
	}
}

/* Level names "1".."scale", replacing any. */
static void set_default_levels(struct conf *cf)
{
	free_strv(cf->level_names);
	cf->level_names = xcalloc((size_t)cf->scale + 1, sizeof(*cf->level_names));
	for (int i = 0; i < cf->scale; i++)
		cf->level_names[i] = xasprintf("%d", i + 1);
}

/* Copy the built-in DigComp areas (digital, assessed as a whole). */
static void set_default_areas(struct conf *cf)
{
	cf->n_areas = ARRAY_LEN(default_areas);
	cf->areas = xcalloc(cf->n_areas, sizeof(*cf->areas));
	for (size_t i = 0; i < cf->n_areas; i++) {
		cf->areas[i].id = xstrdup(default_areas[i].id);
		cf->areas[i].name = xstrdup(default_areas[i].name);
		cf->areas[i].standard = default_areas[i].standard;
		cf->areas[i].weight = default_areas[i].weight;
	}
}

struct conf *conf_defaults(void)
{
	struct conf *cf = xcalloc(1, sizeof(*cf));
	cf->uris = xcalloc(1, sizeof(*cf->uris));
	cf->tls = CONF_TLS_NONE;
	cf->timeout = 10;
	cf->idle_timeout = 240;
	cf->page_size = 500;
	cf->people_filter = xstrdup("(objectClass=inetOrgPerson)");
	cf->full_sync_interval = 86400;
	for (size_t i = 0; i < ARRAY_LEN(attr_keys); i++)
		*attr_field(&cf->attr, attr_keys[i].offset) = xstrdup(attr_keys[i].def);
	cf->member_attr = xstrdup("member");
	set_default_cohorts(cf);
	cf->scale = 8;
	set_default_levels(cf);
	set_default_areas(cf);
	cf->capacity = 3;
	cf->mentors_per_senior = 1;
	cf->min_score = 0;
	cf->max_tz_minutes = -1;
	cf->bonus_cross_department = 2;
	cf->bonus_same_tz = 2;
	cf->bonus_near_tz = 1;
	cf->near_tz_minutes = 180;
	cf->bonus_stability = 5;
	cf->publish = CONF_PUBLISH_AUTO;
	cf->owner = xstrdup("mentord");
	cf->max_delete_percent = 50;
	cf->state_db = xstrdup(CONF_DEFAULT_DB);
	cf->interval = 3600;
	cf->jitter = 60;
	return cf;
}

/* Free a cohort array. */
static void free_cohorts(struct conf_cohort *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/* Free the strings of one area. */
static void free_area_fields(struct conf_area *a)
{
	free(a->id);
	free(a->name);
	free(a->description);
}

/* Free an area array. */
static void free_areas(struct conf_area *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free_area_fields(&v[i]);
	free(v);
}

/* Free a competence array. */
static void free_competences(struct conf_competence *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].name);
		free(v[i].description);
	}
	free(v);
}

/* Free a time zone table. */
static void free_timezones(struct conf_timezone *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].location);
	free(v);
}

void conf_free(struct conf *cf)
{
	if (!cf)
		return;
	free(cf->path);
	free_strv(cf->uris);
	free(cf->base_dn);
	free(cf->bind_dn);
	free(cf->password_file);
	free(cf->ca_file);
	free(cf->cert_file);
	free(cf->key_file);
	free(cf->sasl_mech);
	free(cf->people_base);
	free(cf->people_filter);
	for (size_t i = 0; i < ARRAY_LEN(attr_keys); i++)
		free(*attr_field(&cf->attr, attr_keys[i].offset));
	free(cf->juniors_group);
	free(cf->seniors_group);
	free(cf->member_attr);
	free(cf->trained_group);
	free(cf->excluded_group);
	free_timezones(cf->timezones, cf->n_timezones);
	free_cohorts(cf->cohorts, cf->n_cohorts);
	free_strv(cf->level_names);
	free_areas(cf->areas, cf->n_areas);
	free_competences(cf->competences, cf->n_competences);
	free(cf->managed_ou);
	free(cf->owner);
	free(cf->state_db);
	free(cf->metrics_file);
	free(cf);
}

/* ------------------------------------------------------------------ */
/* directory */

/* Add one URI setting s (named name) to the list if it is valid. */
static void add_uri(struct ctx *cx, const config_setting_t *s, const char *name)
{
	struct conf *cf = cx->cf;
	if (expect_kind(cx, s, name, K_STRING) < 0 || str_value(cx, s, name, check_uri) < 0)
		return;
	cf->uris = xrealloc(cf->uris, (cf->n_uris + 2) * sizeof(*cf->uris));
	cf->uris[cf->n_uris++] = xstrdup(config_setting_get_string(s));
	cf->uris[cf->n_uris] = NULL;
}

/* directory.uri: one string, or an array (or list) of strings tried in order. */
static const config_setting_t *parse_uris(struct ctx *cx, const config_setting_t *g)
{
	char name[QNAME_MAX];
	const config_setting_t *s = member(cx, g, "directory", "uri", K_STRING | K_ARRAY | K_LIST);
	int n;
	if (!s)
		return NULL;
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		add_uri(cx, s, "directory.uri");
		return s;
	}
	n = config_setting_length(s);
	if (n == 0)
		report(cx, s, "directory.uri: must list at least one URI");
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "directory.uri[%d]", i);
		add_uri(cx, config_setting_get_elem(s, (unsigned)i), name);
	}
	return s;
}

/* directory.tls: the index of a name in tls_names; -1 if invalid. */
static int parse_tls(struct ctx *cx, const config_setting_t *s)
{
	const char *v = config_setting_get_string(s);
	for (size_t i = 0; i < ARRAY_LEN(tls_names); i++)
		if (strcmp(v, tls_names[i]) == 0)
			return (int)i;
	report(cx, s, "directory.tls: \"%s\" is not one of \"none\", \"starttls\", \"ldaps\"", v);
	return -1;
}

/* The first URI that is (want != 0) or is not (want == 0) ldaps://, or NULL. */
static const char *find_ldaps(const struct conf *cf, int want)
{
	for (size_t i = 0; i < cf->n_uris; i++)
		if ((strncasecmp(cf->uris[i], "ldaps://", 8) == 0) == want)
			return cf->uris[i];
	return NULL;
}

/* Square directory.tls with the URI schemes (see mentord.conf(5)). */
static void resolve_tls(struct ctx *cx, const config_setting_t *tls_s,
			const config_setting_t *uri_s)
{
	struct conf *cf = cx->cf;
	const char *plain = find_ldaps(cf, 0), *secure = find_ldaps(cf, 1);
	if (cf->tls == CONF_TLS_LDAPS && plain)
		report(cx, tls_s, "directory.tls: \"ldaps\" needs ldaps:// URIs, but \"%s\" is not one",
		       plain);
	else if (cf->tls == CONF_TLS_STARTTLS && secure)
		report(cx, tls_s, "directory.tls: \"starttls\" cannot be used with \"%s\", which "
				  "already speaks TLS; use tls = \"ldaps\"", secure);
	else if (cf->tls == CONF_TLS_NONE && secure && plain)
		report(cx, uri_s, "directory.uri: \"%s\" and \"%s\" mix TLS and plain connections; "
				  "failing over would drop TLS", secure, plain);
	else if (cf->tls == CONF_TLS_NONE && secure)
		cf->tls = CONF_TLS_LDAPS;
}

/* Optional key of g whose value must be one of names; its index, or -1 when absent or bad. */
static int opt_name(struct ctx *cx, const config_setting_t *g, const char *key, const char *const *names)
{
	const config_setting_t *s = member(cx, g, "directory", key, K_STRING);
	const char *v = s ? config_setting_get_string(s) : NULL;
	struct sbuf sb = { 0 };
	char *list;
	if (!v)
		return -1;
	for (int i = 0; names[i]; i++)
		if (strcmp(v, names[i]) == 0)
			return i;
	for (int i = 0; names[i]; i++)
		sbuf_addf(&sb, "%s\"%s\"", i ? ", " : "", names[i]);
	list = sbuf_take(&sb);
	report(cx, s, "directory.%s: \"%s\" is not one of %s", key, v, list);
	free(list);
	return -1;
}

/* directory.type, ad_sync and sasl_mech (a SASL bind takes no bind_dn nor password). */
static void parse_directory_ad(struct ctx *cx, const config_setting_t *g)
{
	struct conf *cf = cx->cf;
	int v;
	if ((v = opt_name(cx, g, "type", dir_type_names)) >= 0)
		cf->dir_type = (enum conf_dir_type)v;
	if ((v = opt_name(cx, g, "ad_sync", ad_sync_names)) >= 0)
		cf->ad_sync = (enum conf_ad_sync)v;
	if ((v = opt_name(cx, g, "sasl_mech", sasl_mech_names)) >= 0)
		cf->sasl_mech = xstrdup(sasl_mech_names[v]);
	if (cf->sasl_mech && config_setting_get_member(g, "bind_dn"))
		report(cx, config_setting_get_member(g, "sasl_mech"), "directory.sasl_mech: a SASL bind "
		       "takes its identity from %s; remove directory.bind_dn and directory.password_file",
		       strcmp(cf->sasl_mech, "GSSAPI") == 0 ? "the Kerberos keytab or ticket cache" :
							      "its user and group ids over ldapi:// "
							      "or the TLS client certificate");
}

/* bind_dn and password_file come together or not at all. */
static void check_bind(struct ctx *cx, const config_setting_t *g)
{
	const struct conf *cf = cx->cf;
	if (cf->bind_dn && !cf->password_file && !config_setting_get_member(g, "password_file"))
		report(cx, config_setting_get_member(g, "bind_dn"),
		       "directory.bind_dn is set but directory.password_file is missing "
		       "(the bind password is read from that file)");
	if (cf->password_file && !config_setting_get_member(g, "bind_dn"))
		report(cx, config_setting_get_member(g, "password_file"),
		       "directory.password_file is only used with directory.bind_dn, which is missing");
}

/* cert_file and key_file come together, and only with TLS. */
static void check_client_cert(struct ctx *cx, const config_setting_t *g)
{
	const struct conf *cf = cx->cf;
	const config_setting_t *cert = config_setting_get_member(g, "cert_file"),
			       *key = config_setting_get_member(g, "key_file");
	if (cert && !key)
		report(cx, cert, "directory.cert_file is set but directory.key_file, its private key, is missing");
	else if (key && !cert)
		report(cx, key, "directory.key_file is only used with directory.cert_file, which is missing");
	else if (cert && cf->tls == CONF_TLS_NONE)
		report(cx, cert, "directory.cert_file: a client certificate needs TLS: set directory.tls = "
		       "\"starttls\" or use ldaps:// URIs");
}

/* The directory group: servers, base, bind identity, TLS, limits. */
static void parse_directory(struct ctx *cx, const config_setting_t *root)
{
	struct conf *cf = cx->cf;
	const config_setting_t *g = open_group(cx, root, "", "directory", directory_keys);
	const config_setting_t *uri_s, *tls_s;
	need(cx, root, g, "directory", "uri");
	need(cx, root, g, "directory", "base");
	if (!g)
		return;
	uri_s = parse_uris(cx, g);
	opt_str(cx, g, "directory", "base", check_dn, &cf->base_dn);
	opt_str(cx, g, "directory", "bind_dn", check_dn, &cf->bind_dn);
	opt_str(cx, g, "directory", "password_file", check_nonempty, &cf->password_file);
	opt_str(cx, g, "directory", "ca_file", check_nonempty, &cf->ca_file);
	opt_str(cx, g, "directory", "cert_file", check_nonempty, &cf->cert_file);
	opt_str(cx, g, "directory", "key_file", check_nonempty, &cf->key_file);
	opt_int(cx, g, "directory", "timeout", 1, 3600, &cf->timeout);
	opt_int(cx, g, "directory", "idle_timeout", 0, 86400, &cf->idle_timeout);
	opt_int(cx, g, "directory", "page_size", 1, 1000, &cf->page_size);
	parse_directory_ad(cx, g);
	check_bind(cx, g);
	tls_s = member(cx, g, "directory", "tls", K_STRING);
	if (tls_s) {
		int tls = parse_tls(cx, tls_s);
		if (tls < 0)
			return;
		cf->tls = (enum conf_tls)tls;
	}
	if (uri_s)
		resolve_tls(cx, tls_s, uri_s);
	check_client_cert(cx, g);
}

/* ------------------------------------------------------------------ */
/* people, participants */

/* people.attributes: which attribute holds each piece of staff data. */
static void parse_attributes(struct ctx *cx, const config_setting_t *people)
{
	const char *keys[ARRAY_LEN(attr_keys) + 1];
	const config_setting_t *g;
	g = open_group(cx, people, "people", "attributes", attr_key_names(keys));
	for (size_t i = 0; g && i < ARRAY_LEN(attr_keys); i++)
		opt_str(cx, g, "people.attributes", attr_keys[i].key, check_attr,
			attr_field(&cx->cf->attr, attr_keys[i].offset));
}

/* The people group: where staff live and how to read them. */
static void parse_people(struct ctx *cx, const config_setting_t *root)
{
	struct conf *cf = cx->cf;
	const config_setting_t *g = open_group(cx, root, "", "people", people_keys);
	if (!g)
		return;
	opt_str(cx, g, "people", "base", check_dn, &cf->people_base);
	opt_str(cx, g, "people", "filter", check_filter, &cf->people_filter);
	opt_int(cx, g, "people", "full_sync_interval", 0, 31 * 86400, &cf->full_sync_interval);
	parse_attributes(cx, g);
}

/* Report key of participants group g if it names the same group as one of the two main ones. */
static void check_distinct_group(struct ctx *cx, const config_setting_t *g, const char *key,
				 const char *dn)
{
	const struct conf *cf = cx->cf;
	const char *other = cf->juniors_group && dn_equal(dn, cf->juniors_group) ? "juniors"
			    : cf->seniors_group && dn_equal(dn, cf->seniors_group) ? "seniors" : NULL;
	if (other)
		report(cx, config_setting_get_member(g, key),
		       "participants.%s: must be a different group from participants.%s", key, other);
}

/* The optional trained-mentors and excluded groups. */
static void parse_extra_groups(struct ctx *cx, const config_setting_t *g)
{
	struct conf *cf = cx->cf;
	if (opt_str(cx, g, "participants", "trained_mentors", check_dn, &cf->trained_group) == 1)
		check_distinct_group(cx, g, "trained_mentors", cf->trained_group);
	if (opt_str(cx, g, "participants", "excluded", check_dn, &cf->excluded_group) == 1) {
		check_distinct_group(cx, g, "excluded", cf->excluded_group);
		if (cf->trained_group && dn_equal(cf->trained_group, cf->excluded_group))
			report(cx, config_setting_get_member(g, "excluded"),
			       "participants.excluded: must be a different group from "
			       "participants.trained_mentors");
	}
}

/* The participants group: the two HR-managed groups. */
static void parse_participants(struct ctx *cx, const config_setting_t *root)
{
	struct conf *cf = cx->cf;
	const config_setting_t *g = open_group(cx, root, "", "participants", participants_keys);
	need(cx, root, g, "participants", "juniors");
	need(cx, root, g, "participants", "seniors");
	if (!g)
		return;
	opt_str(cx, g, "participants", "juniors", check_dn, &cf->juniors_group);
	opt_str(cx, g, "participants", "seniors", check_dn, &cf->seniors_group);
	opt_str(cx, g, "participants", "member_attribute", check_attr, &cf->member_attr);
	if (cf->juniors_group && cf->seniors_group && dn_equal(cf->juniors_group, cf->seniors_group))
		report(cx, config_setting_get_member(g, "seniors"),
		       "participants.seniors: must be a different group from participants.juniors");
	parse_extra_groups(cx, g);
}

/* ------------------------------------------------------------------ */
/* cohorts */

/* A cohort as read, with its setting for messages. */
struct cohort_in {
	struct conf_cohort c;
	const config_setting_t *s;
	size_t index; /* position in the file */
};

/* Order cohorts by first year, then by position in the file. */
static int cmp_cohort_in(const void *a, const void *b)
{
	const struct cohort_in *x = a, *y = b;
	if (x->c.from != y->c.from)
		return x->c.from < y->c.from ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* One element of the cohorts list; 0 when it is complete and valid (else *out holds nothing). */
static int parse_cohort(struct ctx *cx, const config_setting_t *s, int i, struct cohort_in *out)
{
	char group[QNAME_MAX];
	int bad = 0;
	snprintf(group, sizeof(group), "cohorts[%d]", i);
	out->s = s;
	out->index = (size_t)i;
	if (expect_kind(cx, s, group, K_GROUP) < 0)
		return -1;
	check_keys(cx, s, group, cohort_keys);
	need(cx, NULL, s, group, "name");
	need(cx, NULL, s, group, "from");
	need(cx, NULL, s, group, "to");
	bad |= opt_str(cx, s, group, "name", check_label, &out->c.name) < 1;
	bad |= opt_int(cx, s, group, "from", YEAR_MIN, YEAR_MAX, &out->c.from) < 1;
	bad |= opt_int(cx, s, group, "to", YEAR_MIN, YEAR_MAX, &out->c.to) < 1;
	if (!bad && out->c.from > out->c.to) {
		report(cx, s, "%s: from (%d) is after to (%d)", group, out->c.from, out->c.to);
		bad = 1;
	}
	if (!bad)
		return 0;
	free(out->c.name);
	out->c.name = NULL;
	return -1;
}

/* Report overlapping years and repeated names among sorted cohorts; 0 if none. */
static int check_cohorts(struct ctx *cx, const struct cohort_in *v, size_t n)
{
	size_t widest = 0;
	int bad = 0;
	for (size_t i = 1; i < n; i++) {
		if (v[i].c.from <= v[widest].c.to) {
			report(cx, v[i].s, "cohorts[%zu]: %d..%d overlaps \"%s\" (%d..%d)", v[i].index,
			       v[i].c.from, v[i].c.to, v[widest].c.name, v[widest].c.from,
			       v[widest].c.to);
			bad = 1;
		}
		if (v[i].c.to > v[widest].c.to)
			widest = i;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			if (v[j].index < v[i].index && strcasecmp(v[i].c.name, v[j].c.name) == 0) {
				report(cx, v[i].s, "cohorts[%zu]: the name \"%s\" is already used by "
						   "cohorts[%zu]", v[i].index, v[i].c.name, v[j].index);
				bad = 1;
				break;
			}
	return bad ? -1 : 0;
}

/* Move checked cohorts into the conf, sorted by first year. */
static void install_cohorts(struct conf *cf, struct cohort_in *v, size_t n)
{
	free_cohorts(cf->cohorts, cf->n_cohorts);
	cf->cohorts = xcalloc(n, sizeof(*cf->cohorts));
	for (size_t i = 0; i < n; i++) {
		cf->cohorts[i] = v[i].c;
		v[i].c.name = NULL;
	}
	cf->n_cohorts = n;
}

/* The cohorts list: named, non-overlapping ranges of birth years. */
static void parse_cohorts(struct ctx *cx, const config_setting_t *root)
{
	const config_setting_t *s = member(cx, root, "", "cohorts", K_LIST);
	struct cohort_in *v;
	size_t n, ok = 0;
	if (!s)
		return;
	n = (size_t)config_setting_length(s);
	if (n == 0) {
		report(cx, s, "cohorts: must list at least one cohort");
		return;
	}
	v = xcalloc(n, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		if (parse_cohort(cx, config_setting_get_elem(s, (unsigned)i), (int)i, &v[ok]) == 0)
			ok++;
	qsort(v, ok, sizeof(*v), cmp_cohort_in);
	if (check_cohorts(cx, v, ok) == 0 && ok == n)
		install_cohorts(cx->cf, v, n);
	for (size_t i = 0; i < ok; i++)
		free(v[i].c.name);
	free(v);
}

/* ------------------------------------------------------------------ */
/* model */

/* An area as read, with its competences, before they move into the conf. */
struct area_in {
	struct conf_area a;
	struct conf_competence *comp;
	size_t n_comp;
};

/* One use of an id in the model, for the duplicate check: area i, competence j (-1: none). */
struct id_use {
	const char *id;
	const config_setting_t *s;
	int area, comp;
};

/* Whether id is "<area_id>.<something>". */
static int is_competence_of(const char *id, const char *area_id)
{
	size_t n = strlen(area_id);
	return strncmp(id, area_id, n) == 0 && id[n] == '.' && id[n + 1] != '\0';
}

/* The direction key of area group g: one of direction_names; 0 when fine or absent. */
static int parse_direction(struct ctx *cx, const config_setting_t *g, const char *group,
			   enum conf_direction *out)
{
	const config_setting_t *s = member(cx, g, group, "direction", K_STRING);
	const char *v;
	if (!s)
		return config_setting_get_member(g, "direction") ? -1 : 0;
	v = config_setting_get_string(s);
	for (size_t i = 0; i < ARRAY_LEN(direction_names); i++)
		if (strcmp(v, direction_names[i]) == 0) {
			*out = (enum conf_direction)i;
			return 0;
		}
	report(cx, s, "%s.direction: \"%s\" is not one of \"digital\", \"leadership\", "
		      "\"business\"", group, v);
	return -1;
}

/* Competence j of area i; 0 when valid. The standard defaults to the area's. */
static int parse_competence(struct ctx *cx, const config_setting_t *s, int i, int j,
			    const struct conf_area *area, int max_standard,
			    struct conf_competence *out)
{
	char group[QNAME_MAX];
	int bad = 0;
	snprintf(group, sizeof(group), "model.areas[%d].competences[%d]", i, j);
	if (expect_kind(cx, s, group, K_GROUP) < 0)
		return -1;
	check_keys(cx, s, group, competence_keys);
	need(cx, NULL, s, group, "id");
	out->standard = area->standard;
	bad |= opt_str(cx, s, group, "id", check_competence_id, &out->id) < 1;
	bad |= opt_str(cx, s, group, "name", check_label, &out->name) < 0;
	bad |= opt_str(cx, s, group, "description", check_label, &out->description) < 0;
	bad |= opt_int(cx, s, group, "standard", 1, max_standard ? max_standard : 100,
		       &out->standard) < 0;
	if (!out->id)
		return -1;
	ascii_lower(out->id);
	if (!out->name)
		out->name = xstrdup(out->id);
	if (area->id && !is_competence_of(out->id, area->id)) {
		report(cx, config_setting_get_member(s, "id"),
		       "%s.id: \"%s\" is not below its area \"%s\" (expected \"%s.<name>\")",
		       group, out->id, area->id, area->id);
		bad = 1;
	}
	return bad ? -1 : 0;
}

/* The competences of area i (setting s, named group), if any: a non-empty list; 0 if fine. */
static int parse_competences(struct ctx *cx, const config_setting_t *s, int i, const char *group,
			     int max_standard, struct area_in *ai)
{
	const config_setting_t *list = member(cx, s, group, "competences", K_LIST);
	size_t n;
	int bad = 0;
	if (!list)
		return config_setting_get_member(s, "competences") ? -1 : 0;
	n = (size_t)config_setting_length(list);
	if (n == 0) {
		report(cx, list, "%s.competences: must list at least one competence (leave the key "
				 "out to assess the area as a whole)", group);
		return -1;
	}
	ai->comp = xcalloc(n, sizeof(*ai->comp));
	ai->n_comp = n;
	for (size_t j = 0; j < n; j++)
		bad |= parse_competence(cx, config_setting_get_elem(list, (unsigned)j), i, (int)j,
					&ai->a, max_standard, &ai->comp[j]) < 0;
	return bad ? -1 : 0;
}

/* One element of model.areas; 0 when valid. max_standard 0: scale unknown. */
static int parse_area(struct ctx *cx, const config_setting_t *s, int i, int max_standard,
		      struct area_in *out)
{
	struct conf_area *a = &out->a;
	char group[QNAME_MAX];
	int bad = 0;
	snprintf(group, sizeof(group), "model.areas[%d]", i);
	if (expect_kind(cx, s, group, K_GROUP) < 0)
		return -1;
	check_keys(cx, s, group, area_keys);
	need(cx, NULL, s, group, "id");
	need(cx, NULL, s, group, "standard");
	a->weight = 1;
	bad |= opt_str(cx, s, group, "id", check_area_id, &a->id) < 1;
	bad |= opt_str(cx, s, group, "name", check_label, &a->name) < 0;
	bad |= opt_str(cx, s, group, "description", check_label, &a->description) < 0;
	bad |= parse_direction(cx, s, group, &a->direction) < 0;
	bad |= opt_int(cx, s, group, "standard", 1, max_standard ? max_standard : 100,
		       &a->standard) < 1;
	bad |= opt_int(cx, s, group, "weight", 0, 1000, &a->weight) < 0;
	if (a->id) {
		ascii_lower(a->id);
		if (!a->name)
			a->name = xstrdup(a->id);
	}
	bad |= parse_competences(cx, s, i, group, max_standard, out) < 0;
	return bad ? -1 : 0;
}

/* "model.areas[i]" or "model.areas[i].competences[j]" for one id use, into buf[QNAME_MAX]. */
static const char *use_name(char *buf, const struct id_use *u)
{
	if (u->comp < 0)
		snprintf(buf, QNAME_MAX, "model.areas[%d]", u->area);
	else
		snprintf(buf, QNAME_MAX, "model.areas[%d].competences[%d]", u->area, u->comp);
	return buf;
}

/* Every id of the model in file order, with the group that holds it; *n set. */
static struct id_use *list_ids(const config_setting_t *list, const struct area_in *v, size_t n,
			       size_t *n_uses)
{
	size_t total = n, k = 0;
	struct id_use *uses;
	for (size_t i = 0; i < n; i++)
		total += v[i].n_comp;
	uses = xcalloc(total, sizeof(*uses));
	for (size_t i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(list, (unsigned)i);
		const config_setting_t *comps = config_setting_get_member(s, "competences");
		uses[k++] = (struct id_use){ v[i].a.id, s, (int)i, -1 };
		for (size_t j = 0; j < v[i].n_comp; j++)
			uses[k++] = (struct id_use){ v[i].comp[j].id,
						     config_setting_get_elem(comps, (unsigned)j),
						     (int)i, (int)j };
	}
	*n_uses = total;
	return uses;
}

/* Report ids used twice (areas and competences share one id space); 0 if none. */
static int check_model_ids(struct ctx *cx, const config_setting_t *list, const struct area_in *v,
			   size_t n)
{
	char here[QNAME_MAX], there[QNAME_MAX];
	size_t n_uses;
	struct id_use *u = list_ids(list, v, n, &n_uses);
	int bad = 0;
	for (size_t i = 0; i < n_uses; i++)
		for (size_t j = 0; u[i].id && j < i; j++)
			if (u[j].id && strcmp(u[i].id, u[j].id) == 0) {
				report(cx, u[i].s, "%s: the id \"%s\" is already used by %s",
				       use_name(here, &u[i]), u[i].id, use_name(there, &u[j]));
				bad = 1;
				break;
			}
	free(u);
	return bad ? -1 : 0;
}

/* Free the strings of areas and competences as read, and the array. */
static void free_area_in(struct area_in *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free_area_fields(&v[i].a);
		free_competences(v[i].comp, v[i].n_comp);
	}
	free(v);
}

/* Move checked areas into the conf, their competences into one array grouped by area. */
static void install_areas(struct conf *cf, struct area_in *v, size_t n)
{
	size_t total = 0, k = 0;
	free_areas(cf->areas, cf->n_areas);
	free_competences(cf->competences, cf->n_competences);
	for (size_t i = 0; i < n; i++)
		total += v[i].n_comp;
	cf->areas = xcalloc(n, sizeof(*cf->areas));
	cf->competences = total ? xcalloc(total, sizeof(*cf->competences)) : NULL;
	for (size_t i = 0; i < n; i++) {
		cf->areas[i] = v[i].a;
		cf->areas[i].first_competence = k;
		cf->areas[i].n_competences = v[i].n_comp;
		for (size_t j = 0; j < v[i].n_comp; j++) {
			cf->competences[k] = v[i].comp[j];
			cf->competences[k++].area = i;
		}
		free(v[i].comp);
	}
	cf->n_areas = n;
	cf->n_competences = total;
	free(v);
}

/* model.areas: the competence areas, in the order given. */
static void parse_areas(struct ctx *cx, const config_setting_t *g, int max_standard)
{
	const config_setting_t *s = member(cx, g, "model", "areas", K_LIST);
	struct area_in *v;
	size_t n;
	int bad = 0;
	if (!s)
		return;
	n = (size_t)config_setting_length(s);
	if (n == 0) {
		report(cx, s, "model.areas: must list at least one area");
		return;
	}
	v = xcalloc(n, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		bad |= parse_area(cx, config_setting_get_elem(s, (unsigned)i), (int)i, max_standard,
				  &v[i]) < 0;
	if (check_model_ids(cx, s, v, n) < 0 || bad)
		free_area_in(v, n);
	else
		install_areas(cx->cf, v, n);
}

/* Element i of model.levels into names[i] (a new string); 0 when valid and not a repeat. */
static int parse_level_name(struct ctx *cx, const config_setting_t *list, size_t i, char **names)
{
	char name[QNAME_MAX];
	const config_setting_t *s = config_setting_get_elem(list, (unsigned)i);
	snprintf(name, sizeof(name), "model.levels[%zu]", i);
	if (expect_kind(cx, s, name, K_STRING) < 0 || str_value(cx, s, name, check_label) < 0)
		return -1;
	names[i] = xstrdup(config_setting_get_string(s));
	for (size_t j = 0; j < i; j++)
		if (names[j] && strcasecmp(names[j], names[i]) == 0) {
			report(cx, s, "%s: the name \"%s\" is already used by model.levels[%zu]",
			       name, names[i], j);
			return -1;
		}
	return 0;
}

/*
 * model.levels: one name per level, exactly scale of them. scale_ok 0: the
 * scale is bad (reported), so the count is not checked. Without the key the
 * names are "1".."scale" for whatever scale is.
 */
static void parse_levels(struct ctx *cx, const config_setting_t *g, int scale_ok)
{
	struct conf *cf = cx->cf;
	const config_setting_t *s = member(cx, g, "model", "levels", K_ARRAY | K_LIST);
	size_t n;
	char **names;
	int bad = 0;
	if (!s) {
		if (!config_setting_get_member(g, "levels"))
			set_default_levels(cf);
		return;
	}
	n = (size_t)config_setting_length(s);
	if (scale_ok && n != (size_t)cf->scale) {
		report(cx, s, "model.levels: lists %zu names, but model.scale is %d%s; give one "
			      "name per level", n, cf->scale,
		       config_setting_get_member(g, "scale") ? "" : " (the default)");
		bad = 1;
	}
	names = xcalloc(n + 1, sizeof(*names));
	for (size_t i = 0; i < n; i++)
		bad |= parse_level_name(cx, s, i, names) < 0;
	if (bad || !scale_ok) {
		free_strv(names);
		return;
	}
	free_strv(cf->level_names);
	cf->level_names = names;
}

/* The model group: the level scale and names, the areas and their competences. */
static void parse_model(struct ctx *cx, const config_setting_t *root)
{
	struct conf *cf = cx->cf;
	const config_setting_t *g = open_group(cx, root, "", "model", model_keys);
	int scale_set;
	if (!g)
		return;
	scale_set = opt_int(cx, g, "model", "scale", 1, 100, &cf->scale);
	parse_levels(cx, g, scale_set >= 0);
	parse_areas(cx, g, scale_set < 0 ? 0 : cf->scale);
	if (scale_set > 0 && !config_setting_get_member(g, "areas") && cf->scale < DEFAULT_STANDARD)
		report(cx, config_setting_get_member(g, "scale"),
		       "model.scale: the default areas have standard %d, above scale %d; "
		       "define model.areas", DEFAULT_STANDARD, cf->scale);
}

/* ------------------------------------------------------------------ */
/* matching, writeback, state, daemon */

/* A UTC offset "+HH:MM" or "-HH:MM" (-12:00 .. +14:00) into minutes; NULL, or why not. */
static const char *parse_offset(const char *s, int *minutes)
{
	static const char bad[] = "is not a UTC offset of the form +HH:MM or -HH:MM";
	int h, m;
	if ((s[0] != '+' && s[0] != '-') || strlen(s) != 6 || s[3] != ':' ||
	    !isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[2]) ||
	    !isdigit((unsigned char)s[4]) || !isdigit((unsigned char)s[5]))
		return bad;
	h = (s[1] - '0') * 10 + (s[2] - '0');
	m = (s[4] - '0') * 10 + (s[5] - '0');
	if (m > 59)
		return bad;
	*minutes = (s[0] == '-' ? -1 : 1) * (h * 60 + m);
	if (*minutes < -12 * 60 || *minutes > 14 * 60)
		return "is outside -12:00 .. +14:00";
	return NULL;
}

/* Element i of matching.timezones into *out; 0 when valid and its location is new. */
static int parse_timezone(struct ctx *cx, const config_setting_t *s, int i,
			  const struct conf_timezone *done, size_t n_done, struct conf_timezone *out)
{
	char group[QNAME_MAX];
	const config_setting_t *off;
	char *offset = NULL;
	const char *why;
	snprintf(group, sizeof(group), "matching.timezones[%d]", i);
	if (expect_kind(cx, s, group, K_GROUP) < 0)
		return -1;
	check_keys(cx, s, group, timezone_keys);
	need(cx, NULL, s, group, "location");
	need(cx, NULL, s, group, "offset");
	if (opt_str(cx, s, group, "location", check_label, &out->location) < 1 ||
	    opt_str(cx, s, group, "offset", check_nonempty, &offset) < 1)
		return -1;
	off = config_setting_get_member(s, "offset");
	if ((why = parse_offset(offset, &out->offset)))
		report(cx, off, "%s.offset: \"%s\" %s", group, offset, why);
	free(offset);
	if (why)
		return -1;
	for (size_t k = 0; k < n_done; k++)
		if (strcasecmp(done[k].location, out->location) == 0) {
			report(cx, config_setting_get_member(s, "location"),
			       "%s.location: \"%s\" is listed twice", group, out->location);
			return -1;
		}
	return 0;
}

/* matching.timezones: a list of { location, offset }. */
static void parse_timezones(struct ctx *cx, const config_setting_t *g)
{
	struct conf *cf = cx->cf;
	const config_setting_t *s = member(cx, g, "matching", "timezones", K_LIST);
	size_t n, ok = 0;
	if (!s)
		return;
	n = (size_t)config_setting_length(s);
	cf->timezones = xcalloc(n ? n : 1, sizeof(*cf->timezones));
	for (size_t i = 0; i < n; i++) {
		struct conf_timezone tz = { 0 };
		if (parse_timezone(cx, config_setting_get_elem(s, (unsigned)i), (int)i, cf->timezones,
				   ok, &tz) == 0)
			cf->timezones[ok++] = tz;
		else
			free(tz.location);
	}
	cf->n_timezones = ok;
}

/* matching.bonus: the score bonuses beyond the competence areas. */
static void parse_bonus(struct ctx *cx, const config_setting_t *g)
{
	struct conf *cf = cx->cf;
	const config_setting_t *b = open_group(cx, g, "matching", "bonus", bonus_keys);
	int hours = cf->near_tz_minutes / 60;
	opt_int(cx, b, "matching.bonus", "cross_department", 0, 1000, &cf->bonus_cross_department);
	opt_int(cx, b, "matching.bonus", "same_timezone", 0, 1000, &cf->bonus_same_tz);
	opt_int(cx, b, "matching.bonus", "near_timezone", 0, 1000, &cf->bonus_near_tz);
	if (opt_int(cx, b, "matching.bonus", "near_hours", 0, 26, &hours) == 1)
		cf->near_tz_minutes = hours * 60;
	opt_int(cx, b, "matching.bonus", "stability", 0, 1000, &cf->bonus_stability);
}

/* matching.publish: "auto" or "manual". */
static void parse_publish(struct ctx *cx, const config_setting_t *g)
{
	const config_setting_t *s = member(cx, g, "matching", "publish", K_STRING);
	const char *v;
	if (!s)
		return;
	v = config_setting_get_string(s);
	if (strcmp(v, "auto") == 0)
		cx->cf->publish = CONF_PUBLISH_AUTO;
	else if (strcmp(v, "manual") == 0)
		cx->cf->publish = CONF_PUBLISH_MANUAL;
	else
		report(cx, s, "matching.publish: \"%s\" is not one of \"auto\", \"manual\"", v);
}

/* The matching group: capacity, score threshold, eligibility rules, bonuses, publishing. */
static void parse_matching(struct ctx *cx, const config_setting_t *root)
{
	struct conf *cf = cx->cf;
	const config_setting_t *g = open_group(cx, root, "", "matching", matching_keys);
	int hours;
	opt_int(cx, g, "matching", "capacity", 0, 100, &cf->capacity);
	opt_int(cx, g, "matching", "mentors_per_senior", 1, 10, &cf->mentors_per_senior);
	opt_int(cx, g, "matching", "min_score", 0, 1000000, &cf->min_score);
	opt_int(cx, g, "matching", "seniority_gap", 0, 60, &cf->seniority_gap);
	if (opt_int(cx, g, "matching", "max_timezone_hours", 0, 26, &hours) == 1)
		cf->max_tz_minutes = hours * 60;
	opt_int(cx, g, "matching", "cooldown_days", 0, 3650, &cf->cooldown_days);
	opt_int(cx, g, "matching", "threads", 0, 64, &cf->threads);
	parse_timezones(cx, g);
	parse_bonus(cx, g);
	parse_publish(cx, g);
	if (g && config_setting_get_member(g, "max_timezone_hours") && cf->max_tz_minutes >= 0 &&
	    !config_setting_get_member(g, "timezones"))
		report(cx, config_setting_get_member(g, "max_timezone_hours"),
		       "matching.max_timezone_hours: needs matching.timezones (the time zone of each "
		       "location)");
}

/* The writeback group; the managed OU must lie below directory.base. */
static void parse_writeback(struct ctx *cx, const config_setting_t *root)
{
	struct conf *cf = cx->cf;
	const config_setting_t *g = open_group(cx, root, "", "writeback", writeback_keys);
	opt_str(cx, g, "writeback", "owner", check_owner, &cf->owner);
	opt_int(cx, g, "writeback", "max_delete_percent", 0, 100, &cf->max_delete_percent);
	if (opt_str(cx, g, "writeback", "ou", check_dn, &cf->managed_ou) == 1 && cf->base_dn &&
	    !dn_is_below(cf->managed_ou, cf->base_dn))
		report(cx, config_setting_get_member(g, "ou"),
		       "writeback.ou: \"%s\" is not below directory.base \"%s\"", cf->managed_ou,
		       cf->base_dn);
}

/* The state group: where the SQLite database lives. */
static void parse_state(struct ctx *cx, const config_setting_t *root)
{
	const config_setting_t *g = open_group(cx, root, "", "state", state_keys);
	opt_str(cx, g, "state", "database", check_nonempty, &cx->cf->state_db);
}

/* The daemon group: the cycle interval, its jitter, the metrics file. */
static void parse_daemon(struct ctx *cx, const config_setting_t *root)
{
	const config_setting_t *g = open_group(cx, root, "", "daemon", daemon_keys);
	opt_int(cx, g, "daemon", "interval", 60, 604800, &cx->cf->interval);
	opt_int(cx, g, "daemon", "jitter", 0, 86400, &cx->cf->jitter);
	opt_str(cx, g, "daemon", "metrics_file", check_metrics_path, &cx->cf->metrics_file);
}

/* Fill the defaults that depend on other keys. */
static void derive_defaults(struct conf *cf)
{
	if (!cf->base_dn)
		return;
	if (!cf->people_base)
		cf->people_base = xstrdup(cf->base_dn);
	if (!cf->managed_ou)
		cf->managed_ou = xasprintf("ou=mentoring,%s", cf->base_dn);
}

/* Check every group of a parsed file into cx->cf. */
static void parse_root(struct ctx *cx, const config_setting_t *root)
{
	check_keys(cx, root, "", top_keys);
	parse_directory(cx, root);
	parse_people(cx, root);
	parse_participants(cx, root);
	parse_cohorts(cx, root);
	parse_model(cx, root);
	parse_matching(cx, root);
	parse_writeback(cx, root);
	parse_state(cx, root);
	parse_daemon(cx, root);
	derive_defaults(cx->cf);
}

/* ------------------------------------------------------------------ */
/* Loading */

/* The rest of fp as a string, or NULL with the reason in *why. */
static char *slurp(FILE *fp, const char **why)
{
	char *buf = NULL;
	size_t len = 0, cap = 0, got;
	*why = NULL;
	do {
		buf = xgrow(buf, &cap, len + 4096 + 1, 1);
		got = fread(buf + len, 1, cap - len - 1, fp);
		len += got;
	} while (got && len <= CONF_MAX_BYTES);
	buf[len] = '\0';
	if (ferror(fp))
		*why = strerror(errno);
	else if (len > CONF_MAX_BYTES)
		*why = "larger than 1 MiB";
	else if (memchr(buf, '\0', len))
		*why = "contains a NUL byte";
	if (!*why)
		return buf;
	free(buf);
	return NULL;
}

/* The whole file as a string, or NULL with the reason reported. */
static char *read_text(struct ctx *cx)
{
	FILE *fp = fopen(cx->path, "r");
	struct stat st;
	const char *why;
	char *text;
	if (!fp) {
		report(cx, NULL, "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		report(cx, NULL, "cannot open: %s", strerror(EISDIR));
		fclose(fp);
		return NULL;
	}
	text = slurp(fp, &why);
	fclose(fp);
	if (!text)
		report(cx, NULL, "cannot read: %s", why);
	return text;
}

/* The text of an included file (as libconfig names it), or NULL; libconfig has read it once. */
static char *read_included(const struct ctx *cx, const char *file)
{
	char buf[PATH_MAX];
	const char *why;
	char *text;
	FILE *fp = fopen(file_name(cx, file, buf), "r");
	if (!fp)
		return NULL;
	text = slurp(fp, &why);
	fclose(fp);
	return text;
}

/* Add the included files that settings at or below s come from to files[*n] (distinct). */
static void collect_files(const config_setting_t *s, const char ***files, size_t *n, size_t *cap)
{
	const char *f = config_setting_source_file(s);
	size_t i = 0;
	while (f && i < *n && strcmp((*files)[i], f) != 0)
		i++;
	if (f && i == *n) {
		*files = xgrow(*files, cap, *n + 1, sizeof(**files));
		(*files)[(*n)++] = f;
	}
	if (!config_setting_is_aggregate(s))
		return;
	for (int k = 0; k < config_setting_length(s); k++)
		collect_files(config_setting_get_elem(s, (unsigned)k), files, n, cap);
}

/* Look for wide integers in the main text and in every file it included. */
static void scan_all_wide_ints(struct ctx *cx, const char *text, const config_setting_t *root)
{
	const char **files = NULL;
	size_t n = 0, cap = 0;
	scan_wide_ints(cx, NULL, text);
	collect_files(root, &files, &n, &cap);
	for (size_t i = 0; i < n; i++) {
		char *other = read_included(cx, files[i]);
		if (other)
			scan_wide_ints(cx, files[i], other);
		free(other);
	}
	free(files);
}

/* The name in `@include "name"` on line `line` of text, into buf[PATH_MAX]; 0 if there. */
static int include_name_at(const char *text, unsigned line, char *buf)
{
	size_t n;
	for (unsigned l = 1; *text && l < line; text++)
		if (*text == '\n')
			l++;
	text += strspn(text, " \t");
	if (strncmp(text, "@include", 8) != 0)
		return -1;
	text += 8;
	text += strspn(text, " \t");
	if (*text++ != '"')
		return -1;
	n = strcspn(text, "\"\n");
	if (text[n] != '"' || n >= PATH_MAX)
		return -1;
	memcpy(buf, text, n);
	buf[n] = '\0';
	return 0;
}

/*
 * libconfig says only "cannot open include file": name the file and why.
 * libconfig 1.5 puts the include directory in front of absolute names too,
 * so an absolute name that exists gets its own advice.
 */
static void report_include_error(struct ctx *cx, const char *text, const char *file,
				 unsigned line)
{
	char name[PATH_MAX], buf[PATH_MAX];
	char *other = file ? read_included(cx, file) : NULL;
	const char *path;
	if (include_name_at(other ? other : text, line, name) < 0) {
		report_line(cx, file, line, "cannot open include file");
	} else if (name[0] == '/' && access(name, R_OK) == 0) {
		report_line(cx, file, line, "cannot open include file \"%s\": @include names are "
					    "taken relative to %s; give a relative name", name, cx->dir);
	} else {
		path = name[0] == '/' ? name : file_name(cx, name, buf);
		report_line(cx, file, line, "cannot open include file \"%s\" (%s: %s)", name, path,
			    access(path, R_OK) == 0 ? "unreadable" : strerror(errno));
	}
	free(other);
}

/* Parse text with libconfig and check it; errors go to cx. */
static void parse_text(struct ctx *cx, const char *text)
{
	config_t lc;
	config_init(&lc);
	config_set_include_dir(&lc, cx->dir);
	if (config_read_string(&lc, text) == CONFIG_TRUE) {
		scan_all_wide_ints(cx, text, config_root_setting(&lc));
		parse_root(cx, config_root_setting(&lc));
	} else {
		int line = config_error_line(&lc);
		unsigned l = line > 0 ? (unsigned)line : 0;
		if (strcmp(config_error_text(&lc), "cannot open include file") == 0)
			report_include_error(cx, text, config_error_file(&lc), l);
		else
			report_line(cx, config_error_file(&lc), l, "%s", config_error_text(&lc));
	}
	config_destroy(&lc);
}

/* The directory part of path ("." if none), as a new string. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xasprintf("%.*s", (int)(slash - path), path);
}

int conf_load(const char *path, struct conf **out, char **errors)
{
	struct ctx cx = { .path = path };
	char *text = read_text(&cx);
	if (text) {
		cx.cf = conf_defaults();
		cx.cf->path = xstrdup(path);
		cx.dir = dir_of(path);
		parse_text(&cx, text);
		free(text);
	}
	free(cx.dir);
	free(cx.wide);
	if (cx.n_errors) {
		conf_free(cx.cf);
		*errors = take_errors(&cx);
		return -1;
	}
	*out = cx.cf;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The list of keys */

/* The key table of the group or list with this qualified name; NULL for a leaf key. */
static const char *const *keys_below(const char *group,
				     const char *attr_names[ARRAY_LEN(attr_keys) + 1])
{
	if (strcmp(group, "people.attributes") == 0)
		return attr_key_names(attr_names);
	for (size_t i = 0; i < ARRAY_LEN(nested_keys); i++)
		if (strcmp(group, nested_keys[i].name) == 0)
			return nested_keys[i].keys;
	return NULL;
}

/* Append the leaves below group (its key table keys) to list, from *n on. */
static void collect_keys(const char *group, const char *const *keys,
			 char names[][QNAME_MAX], const char **list, size_t *n)
{
	const char *attr_names[ARRAY_LEN(attr_keys) + 1];
	char name[QNAME_MAX];
	for (size_t i = 0; keys[i]; i++) {
		const char *const *below = keys_below(qname(name, group, keys[i]), attr_names);
		if (below) {
			collect_keys(name, below, names, list, n);
			continue;
		}
		if (*n == CONF_KEYS_MAX) {
			fprintf(stderr, "conf_keys: more than %d keys; raise CONF_KEYS_MAX\n",
				CONF_KEYS_MAX);
			abort();
		}
		memcpy(names[*n], name, QNAME_MAX);
		list[*n] = names[*n];
		(*n)++;
	}
}

const char *const *conf_keys(void)
{
	static char names[CONF_KEYS_MAX][QNAME_MAX];
	static const char *list[CONF_KEYS_MAX + 1];
	size_t n = 0;
	if (!list[0])
		collect_keys("", top_keys, names, list, &n);
	return list;
}

int conf_area_index(const struct conf *cf, const char *id)
{
	for (size_t i = 0; i < cf->n_areas; i++)
		if (strcasecmp(cf->areas[i].id, id) == 0)
			return (int)i;
	return -1;
}

int conf_competence_index(const struct conf *cf, const char *id)
{
	for (size_t i = 0; i < cf->n_competences; i++)
		if (strcasecmp(cf->competences[i].id, id) == 0)
			return (int)i;
	return -1;
}

int conf_timezone_of(const struct conf *cf, const char *location, int *minutes)
{
	for (size_t i = 0; location && i < cf->n_timezones; i++)
		if (strcasecmp(cf->timezones[i].location, location) == 0) {
			*minutes = cf->timezones[i].offset;
			return 0;
		}
	return -1;
}

const char *conf_direction_name(enum conf_direction d)
{
	return (size_t)d < ARRAY_LEN(direction_names) ? direction_names[d] : "digital";
}

/* ------------------------------------------------------------------ */
/* Dumping */

/* Write s as a libconfig string literal. */
static void put_string(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", fp);
		else if (c == '\t')
			fputs("\\t", fp);
		else if (c < 0x20 || c == 0x7f)
			fprintf(fp, "\\x%02x", c);
		else
			fputc(c, fp);
	}
	fputc('"', fp);
}

/* Write `indent key = "value";` unless value is NULL. */
static void put_str_key(FILE *fp, const char *indent, const char *key, const char *value)
{
	if (!value)
		return;
	fprintf(fp, "%s%s = ", indent, key);
	put_string(fp, value);
	fputs(";\n", fp);
}

/* The directory group; the bind password is never in the struct, only its file. */
static void dump_directory(const struct conf *cf, FILE *fp)
{
	fputs("directory = {\n", fp);
	if (cf->n_uris) {
		fputs("\turi = [ ", fp);
		for (size_t i = 0; i < cf->n_uris; i++) {
			put_string(fp, cf->uris[i]);
			fputs(i + 1 < cf->n_uris ? ", " : " ];\n", fp);
		}
	}
	put_str_key(fp, "\t", "base", cf->base_dn);
	put_str_key(fp, "\t", "bind_dn", cf->bind_dn);
	/* The password itself never appears here; the file name is no secret. */
	put_str_key(fp, "\t", "password_file", cf->password_file);
	put_str_key(fp, "\t", "tls", tls_names[cf->tls]);
	put_str_key(fp, "\t", "ca_file", cf->ca_file);
	put_str_key(fp, "\t", "cert_file", cf->cert_file);
	put_str_key(fp, "\t", "key_file", cf->key_file);
	fprintf(fp, "\ttimeout = %d;\n\tidle_timeout = %d;\n\tpage_size = %d;\n", cf->timeout, cf->idle_timeout,
		cf->page_size);
	put_str_key(fp, "\t", "type", dir_type_names[cf->dir_type]);
	put_str_key(fp, "\t", "ad_sync", ad_sync_names[cf->ad_sync]);
	put_str_key(fp, "\t", "sasl_mech", cf->sasl_mech);
	fputs("};\n", fp);
}

/* The people and participants groups. */
static void dump_people(const struct conf *cf, FILE *fp)
{
	fputs("people = {\n", fp);
	put_str_key(fp, "\t", "base", cf->people_base);
	put_str_key(fp, "\t", "filter", cf->people_filter);
	fprintf(fp, "\tfull_sync_interval = %d;\n", cf->full_sync_interval);
	fputs("\tattributes = {\n", fp);
	for (size_t i = 0; i < ARRAY_LEN(attr_keys); i++)
		put_str_key(fp, "\t\t", attr_keys[i].key, attr_value(&cf->attr, attr_keys[i].offset));
	fputs("\t};\n};\n", fp);
	fputs("participants = {\n", fp);
	put_str_key(fp, "\t", "juniors", cf->juniors_group);
	put_str_key(fp, "\t", "seniors", cf->seniors_group);
	put_str_key(fp, "\t", "member_attribute", cf->member_attr);
	put_str_key(fp, "\t", "trained_mentors", cf->trained_group);
	put_str_key(fp, "\t", "excluded", cf->excluded_group);
	fputs("};\n", fp);
}

/* Write ` key = "value";` unless value is NULL (for one-line groups). */
static void put_inline_key(FILE *fp, const char *key, const char *value)
{
	if (!value)
		return;
	fprintf(fp, " %s = ", key);
	put_string(fp, value);
	fputc(';', fp);
}

/* The cohorts list. */
static void dump_cohorts(const struct conf *cf, FILE *fp)
{
	fputs("cohorts = (\n", fp);
	for (size_t i = 0; i < cf->n_cohorts; i++) {
		fputs("\t{ name = ", fp);
		put_string(fp, cf->cohorts[i].name);
		fprintf(fp, "; from = %d; to = %d; }%s\n", cf->cohorts[i].from, cf->cohorts[i].to,
			i + 1 < cf->n_cohorts ? "," : "");
	}
	fputs(");\n", fp);
}

/* The competences of area a, as an area key on lines of their own. */
static void dump_competences(const struct conf *cf, const struct conf_area *a, FILE *fp)
{
	fputs("\t\t  competences = (\n", fp);
	for (size_t k = 0; k < a->n_competences; k++) {
		const struct conf_competence *c = &cf->competences[a->first_competence + k];
		fputs("\t\t\t{", fp);
		put_inline_key(fp, "id", c->id);
		put_inline_key(fp, "name", c->name);
		put_inline_key(fp, "description", c->description);
		fprintf(fp, " standard = %d; }%s\n", c->standard,
			k + 1 < a->n_competences ? "," : "");
	}
	fputs("\t\t  );\n", fp);
}

/* One element of model.areas. */
static void dump_area(const struct conf *cf, size_t i, FILE *fp)
{
	const struct conf_area *a = &cf->areas[i];
	fputs("\t\t{", fp);
	put_inline_key(fp, "id", a->id);
	put_inline_key(fp, "name", a->name);
	put_inline_key(fp, "description", a->description);
	put_inline_key(fp, "direction", conf_direction_name(a->direction));
	fprintf(fp, " standard = %d; weight = %d;", a->standard, a->weight);
	if (a->n_competences) {
		fputc('\n', fp);
		dump_competences(cf, a, fp);
		fputs("\t\t", fp);
	} else {
		fputc(' ', fp);
	}
	fprintf(fp, "}%s\n", i + 1 < cf->n_areas ? "," : "");
}

/* The model group. */
static void dump_model(const struct conf *cf, FILE *fp)
{
	fprintf(fp, "model = {\n\tscale = %d;\n", cf->scale);
	if (cf->level_names) {
		fputs("\tlevels = [", fp);
		for (int i = 0; i < cf->scale && cf->level_names[i]; i++) {
			fputs(i ? ", " : " ", fp);
			put_string(fp, cf->level_names[i]);
		}
		fputs(" ];\n", fp);
	}
	fputs("\tareas = (\n", fp);
	for (size_t i = 0; i < cf->n_areas; i++)
		dump_area(cf, i, fp);
	fputs("\t);\n};\n", fp);
}

/* The matching group. */
static void dump_matching(const struct conf *cf, FILE *fp)
{
	fprintf(fp, "matching = {\n\tcapacity = %d;\n\tmentors_per_senior = %d;\n\tmin_score = %d;\n"
		    "\tseniority_gap = %d;\n\tthreads = %d;\n", cf->capacity, cf->mentors_per_senior, cf->min_score,
		cf->seniority_gap, cf->threads);
	if (cf->max_tz_minutes >= 0)
		fprintf(fp, "\tmax_timezone_hours = %d;\n", cf->max_tz_minutes / 60);
	fprintf(fp, "\tcooldown_days = %d;\n\tpublish = \"%s\";\n", cf->cooldown_days,
		cf->publish == CONF_PUBLISH_MANUAL ? "manual" : "auto");
	fprintf(fp, "\tbonus = { cross_department = %d; same_timezone = %d; near_timezone = %d; "
		    "near_hours = %d; stability = %d; };\n", cf->bonus_cross_department,
		cf->bonus_same_tz, cf->bonus_near_tz, cf->near_tz_minutes / 60, cf->bonus_stability);
	if (cf->n_timezones) {
		fputs("\ttimezones = (\n", fp);
		for (size_t i = 0; i < cf->n_timezones; i++) {
			int m = cf->timezones[i].offset, a = m < 0 ? -m : m;
			fputs("\t\t{", fp);
			put_inline_key(fp, "location", cf->timezones[i].location);
			fprintf(fp, " offset = \"%c%02d:%02d\"; }%s\n", m < 0 ? '-' : '+', a / 60, a % 60,
				i + 1 < cf->n_timezones ? "," : "");
		}
		fputs("\t);\n", fp);
	}
	fputs("};\n", fp);
}

/* The matching, writeback, state and daemon groups. */
static void dump_rest(const struct conf *cf, FILE *fp)
{
	dump_matching(cf, fp);
	fputs("writeback = {\n", fp);
	put_str_key(fp, "\t", "ou", cf->managed_ou);
	put_str_key(fp, "\t", "owner", cf->owner);
	fprintf(fp, "\tmax_delete_percent = %d;\n};\n", cf->max_delete_percent);
	fputs("state = {\n", fp);
	put_str_key(fp, "\t", "database", cf->state_db);
	fprintf(fp, "};\ndaemon = {\n\tinterval = %d;\n\tjitter = %d;\n", cf->interval, cf->jitter);
	put_str_key(fp, "\t", "metrics_file", cf->metrics_file);
	fputs("};\n", fp);
}

void conf_dump(const struct conf *cf, FILE *fp)
{
	fprintf(fp, "# effective configuration%s%s\n", cf->path ? " of " : "",
		cf->path ? cf->path : "");
	dump_directory(cf, fp);
	dump_people(cf, fp);
	dump_cohorts(cf, fp);
	dump_model(cf, fp);
	dump_rest(cf, fp);
}
