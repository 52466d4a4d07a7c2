/*
 * Assessment import. The whole file is read and checked first; the people
 * are read from the directory in one paged search (not one search per row);
 * then each good row becomes at most one modify of its person with only the
 * values that change. The import and a snapshot of every level it carried
 * are recorded in the store.
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "assess.h"
#include "csv.h"
#include "dir.h"
#include "log.h"
#include "model.h"
#include "store.h"
#include "util.h"

#define NO_COLUMN ((size_t)-1)

struct row {
	long line;
	char **cells;
	size_t n;
	int bad;
	size_t person;       /* index in the people read, once resolved */
};

/* One problem found, kept so that all of them can be printed in line order. */
struct problem {
	long line;
	size_t seq;    /* order found */
	char *text;
};

struct sheet {
	const char *path;
	struct problem *problems;
	size_t n_problems, cap_problems;
	char **header;
	size_t n_cols;
	size_t key, date;    /* column numbers, or NO_COLUMN */
	int *competence;     /* per column: 1 if it holds a known competence */
	int header_bad;
	struct row *rows;
	size_t n_rows, cap;
};

struct person {
	char *dn, *uuid, *assessed;
	char **values;       /* current competence values */
	int participant;     /* has the mentoringParticipant class */
	long first_line;     /* line of the row that named them, 0 if none yet */
};

struct people {
	struct person *list;
	size_t n, cap;
	struct strmap *by_key;
	const char *key_attr;   /* NULL: the DN is the key */
	const struct conf *cf;
};

/* Note one bad row (or header problem), printed later as file:line: reason. */
static void report(struct sheet *sh, long line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void report(struct sheet *sh, long line, const char *fmt, ...)
{
	va_list ap;
	struct problem *p;
	sh->problems = xgrow(sh->problems, &sh->cap_problems, sh->n_problems + 1, sizeof(*sh->problems));
	p = &sh->problems[sh->n_problems++];
	p->line = line;
	p->seq = sh->n_problems;
	va_start(ap, fmt);
	if (vasprintf(&p->text, fmt, ap) < 0)
		p->text = NULL;
	va_end(ap);
}

/* Problems by line, in the order found within a line. */
static int cmp_problem(const void *a, const void *b)
{
	const struct problem *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Print every problem noted, in line order, and forget them. */
static void print_problems(struct sheet *sh)
{
	if (sh->n_problems > 1)
		qsort(sh->problems, sh->n_problems, sizeof(*sh->problems), cmp_problem);
	for (size_t i = 0; i < sh->n_problems; i++) {
		fprintf(stderr, "%s:%ld: %s\n", sh->path, sh->problems[i].line,
			sh->problems[i].text ? sh->problems[i].text : "?");
		free(sh->problems[i].text);
	}
	free(sh->problems);
	sh->problems = NULL;
	sh->n_problems = sh->cap_problems = 0;
}

/* Keep a copy of a record's fields. */
static char **copy_fields(char **fields, size_t n)
{
	char **copy = xcalloc(n + 1, sizeof(*copy));
	for (size_t i = 0; i < n; i++)
		copy[i] = xstrdup(fields[i]);
	return copy;
}

/* Non-zero if every field is empty (a blank line). */
static int blank(char **fields, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fields[i][0])
			return 0;
	return 1;
}

/* Read every record; rows with broken quoting or the wrong field count are marked bad. */
static int read_rows(struct sheet *sh, struct csv *csv, struct assess_result *res)
{
	char **fields;
	size_t n;
	long line;
	const char *error;
	int rc;
	while ((rc = csv_next(csv, &fields, &n, &line, &error)) != 0) {
		struct row *r;
		if (rc == 1 && blank(fields, n))
			continue;
		sh->rows = xgrow(sh->rows, &sh->cap, sh->n_rows + 1, sizeof(*sh->rows));
		r = &sh->rows[sh->n_rows++];
		memset(r, 0, sizeof(*r));
		r->line = line;
		res->rows++;
		if (rc < 0) {
			report(sh, line, "broken CSV quoting: %s; row skipped", error);
			r->bad = 1;
		} else if (n != sh->n_cols) {
			report(sh, line, "%zu fields where the header has %zu; row skipped", n, sh->n_cols);
			r->bad = 1;
		} else {
			r->cells = copy_fields(fields, n);
			r->n = n;
		}
	}
	return 0;
}

/* Find the key and date columns and check every other column names a competence. */
static int read_header(struct sheet *sh, const struct conf *cf, const char *key)
{
	static const char *const keys[] = {"uid", "mail", "dn"};
	int area, comp;
	sh->key = sh->date = NO_COLUMN;
	sh->competence = xcalloc(sh->n_cols ? sh->n_cols : 1, sizeof(int));
	for (size_t i = 0; i < sh->n_cols; i++) {
		const char *h = sh->header[i];
		int is_key = key ? strcasecmp(h, key) == 0 : 0;
		for (size_t k = 0; !key && k < ARRAY_LEN(keys); k++)
			is_key |= strcasecmp(h, keys[k]) == 0 && sh->key == NO_COLUMN;
		if (is_key && sh->key == NO_COLUMN)
			sh->key = i;
		else if (strcasecmp(h, "date") == 0 || strcasecmp(h, "assessed") == 0)
			sh->date = i;
		else if (model_resolve(cf, h, &area, &comp) >= 0)
			sh->competence[i] = 1;
		else {
			report(sh, 1, "column %zu (\"%s\"): unknown competence; its values are not imported", i + 1, h);
			sh->header_bad = 1;
		}
	}
	if (sh->key == NO_COLUMN) {
		report(sh, 1, "no key column: the header needs %s%s%s", key ? "\"" : "a column named uid, mail or dn",
		       key ? key : "", key ? "\"" : "");
		return -1;
	}
	return 0;
}

/* Read and check the whole file. */
static int read_sheet(struct sheet *sh, const struct conf *cf, const char *key, struct assess_result *res)
{
	FILE *fp = fopen(sh->path, "r");
	struct csv *csv;
	char **fields;
	size_t n;
	long line;
	const char *error;
	int rc = -1;
	if (!fp) {
		fprintf(stderr, "%s: cannot open: %s\n", sh->path, strerror(errno));
		return -1;
	}
	csv = csv_open(fp);
	if (csv_next(csv, &fields, &n, &line, &error) != 1)
		report(sh, 1, "no header row");
	else {
		sh->header = copy_fields(fields, n);
		sh->n_cols = n;
		if (read_header(sh, cf, key) == 0)
			rc = read_rows(sh, csv, res);
	}
	csv_close(csv);
	fclose(fp);
	return rc;
}

/* The lookup key of a value: DNs canonical, the rest lower-cased. */
static char *key_of(const struct people *pp, const char *value)
{
	return pp->key_attr ? ascii_lower(xstrdup(value)) : dir_dn_canonical(value);
}

/* Entry callback: remember one person under its key. */
static int on_person(const dir_entry *e, void *arg)
{
	struct people *pp = arg;
	char *keyval = pp->key_attr ? dir_entry_value(e, pp->key_attr) : xstrdup(dir_entry_dn(e));
	char *uuid = dir_entry_value(e, pp->cf->attr.id), *k;
	char **classes = dir_entry_values(e, "objectClass");
	struct person *p;
	if (!keyval || !uuid || !(k = key_of(pp, keyval))) {
		free(keyval);
		free(uuid);
		dir_values_free(classes);
		return 0;
	}
	pp->list = xgrow(pp->list, &pp->cap, pp->n + 1, sizeof(*pp->list));
	p = &pp->list[pp->n];
	memset(p, 0, sizeof(*p));
	p->dn = xstrdup(dir_entry_dn(e));
	p->uuid = uuid;
	p->values = dir_entry_values(e, pp->cf->attr.competence);
	p->assessed = dir_entry_value(e, "mentoringAssessed");
	for (size_t i = 0; classes && classes[i]; i++)
		p->participant |= strcasecmp(classes[i], "mentoringParticipant") == 0;
	strmap_put(pp->by_key, k, pp->n++);
	free(k);
	free(keyval);
	dir_values_free(classes);
	return 0;
}

/* Read everyone once, keyed by the key column's attribute. */
static int read_people(dir *d, const struct conf *cf, const char *key_col, struct people *pp)
{
	const char *attrs[6] = {cf->attr.id, cf->attr.competence, "mentoringAssessed", "objectClass", NULL, NULL};
	pp->cf = cf;
	pp->by_key = strmap_new(4096);
	pp->key_attr = strcasecmp(key_col, "dn") == 0 ? NULL : strcasecmp(key_col, "mail") == 0 ? cf->attr.mail : key_col;
	attrs[4] = pp->key_attr;
	if (dir_search(d, cf->people_base, DIR_SCOPE_SUB, cf->people_filter, attrs, on_person, pp) != 0) {
		log_err("reading the people below %s failed; nothing imported", cf->people_base);
		return -1;
	}
	return 0;
}

/* Check one good row's cells and find its person; marks the row bad with a report. */
static void check_row(struct sheet *sh, struct row *r, struct people *pp, const struct conf *cf)
{
	char *k = key_of(pp, r->cells[sh->key]);
	size_t idx;
	long level;
	int y, m, d;
	if (!k || strmap_get(pp->by_key, k, &idx) < 0) {
		report(sh, r->line, "unknown person \"%s\"; row skipped", r->cells[sh->key]);
		r->bad = 1;
	} else if (pp->list[idx].first_line) {
		report(sh, r->line, "duplicate person \"%s\" (first in line %ld); row skipped", r->cells[sh->key],
		       pp->list[idx].first_line);
		r->bad = 1;
	} else {
		pp->list[idx].first_line = r->line;
		r->person = idx;
	}
	free(k);
	for (size_t i = 0; !r->bad && i < sh->n_cols; i++) {
		if (!sh->competence[i] || !r->cells[i][0])
			continue;
		if (parse_long(r->cells[i], 0, cf->scale, &level) < 0) {
			report(sh, r->line, "%s: level \"%s\" is not a whole number from 0 to %d; row skipped",
			       sh->header[i], r->cells[i], cf->scale);
			r->bad = 1;
		}
	}
	if (!r->bad && sh->date != NO_COLUMN && r->cells[sh->date][0] &&
	    model_parse_date(r->cells[sh->date], &y, &m, &d) < 0) {
		report(sh, r->line, "date \"%s\" is not YYYY-MM-DD or GeneralizedTime; row skipped", r->cells[sh->date]);
		r->bad = 1;
	}
}

/* The modify for one row: the values to delete and add, the date, the class. */
struct change {
	struct dir_mod mods[4];
	size_t n;
	char **del, **add;
	size_t n_del, n_add;
	char *date[2];
};

/* Free what a change holds (the mods point into it). */
static void change_clear(struct change *c)
{
	dir_values_free(c->del);
	dir_values_free(c->add);
	free(c->date[0]);
	memset(c, 0, sizeof(*c));
}

/* Append a value to a NULL-terminated list. */
static void push(char ***list, size_t *n, char *value)
{
	*list = xrealloc(*list, (*n + 2) * sizeof(**list));
	(*list)[(*n)++] = value;
	(*list)[*n] = NULL;
}

/* Plan the competence values of one cell: delete what differs, add the new value. */
static void plan_cell(struct change *c, const struct person *p, const char *id, const char *level)
{
	char *want = xasprintf("%s=%ld", id, strtol(level, NULL, 10));
	size_t n_old = 0, same = 0, idlen = strlen(id);
	for (size_t i = 0; p->values && p->values[i]; i++)
		if (strncasecmp(p->values[i], id, idlen) == 0 && p->values[i][idlen] == '=') {
			n_old++;
			same += strcmp(p->values[i], want) == 0;
		}
	if (n_old == 1 && same == 1) {
		free(want);
		return;
	}
	for (size_t i = 0; p->values && p->values[i]; i++)
		if (strncasecmp(p->values[i], id, idlen) == 0 && p->values[i][idlen] == '=')
			push(&c->del, &c->n_del, xstrdup(p->values[i]));
	push(&c->add, &c->n_add, want);
}

/* The assessment date as GeneralizedTime (new string), or NULL when the row has none. */
static char *row_date(const struct sheet *sh, const struct row *r)
{
	int y, m, d;
	if (sh->date == NO_COLUMN || !r->cells[sh->date][0] || model_parse_date(r->cells[sh->date], &y, &m, &d) < 0)
		return NULL;
	return xasprintf("%04d%02d%02d000000Z", y, m, d);
}

/* The model's own spelling of a column's competence or area id. */
static const char *column_id(const struct conf *cf, const char *header)
{
	int area, comp;
	int rc = model_resolve(cf, header, &area, &comp);
	return rc == 1 ? cf->competences[comp].id : cf->areas[area].id;
}

/* Plan the modify of one good row; c->n is 0 when nothing changes. */
static void plan_row(const struct sheet *sh, const struct row *r, const struct person *p, const struct conf *cf,
		     struct change *c)
{
	static char *participant[] = {"mentoringParticipant", NULL};
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < sh->n_cols; i++)
		if (sh->competence[i] && r->cells[i][0])
			plan_cell(c, p, column_id(cf, sh->header[i]), r->cells[i]);
	c->date[0] = row_date(sh, r);
	if (c->date[0] && p->assessed && strcmp(c->date[0], p->assessed) == 0) {
		free(c->date[0]);
		c->date[0] = NULL;
	}
	if ((c->n_add || c->date[0]) && !p->participant)
		c->mods[c->n++] = (struct dir_mod){DIR_MOD_ADD, "objectClass", participant};
	if (c->n_del)
		c->mods[c->n++] = (struct dir_mod){DIR_MOD_DELETE, cf->attr.competence, c->del};
	if (c->n_add)
		c->mods[c->n++] = (struct dir_mod){DIR_MOD_ADD, cf->attr.competence, c->add};
	if (c->date[0])
		c->mods[c->n++] = (struct dir_mod){DIR_MOD_REPLACE, "mentoringAssessed", c->date};
}

/* Who runs the import: the sudo user if any, else the login of our uid. */
static const char *who(void)
{
	const char *sudo = getenv("SUDO_USER");
	struct passwd *pw = getpwuid(geteuid());
	return sudo && *sudo ? sudo : pw ? pw->pw_name : "unknown";
}

/* Record the import and a snapshot of every level of the rows that went in. */
static long long record(const struct conf *cf, const struct sheet *sh, const struct people *pp,
			const int *applied, const struct assess_result *res)
{
	struct store_import imp = {who(), sh->path, (long long)time(NULL), res->rows, res->bad, res->changed,
				   res->unchanged, res->failed};
	store *st;
	long long id;
	int rc = 0;
	if (store_open(cf->state_db, 0, &st) < 0)
		return -1;
	if (store_begin(st) < 0 || (id = store_import_add(st, &imp)) < 0)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < sh->n_rows; i++) {
		const struct row *r = &sh->rows[i];
		char *date = applied[i] ? row_date(sh, r) : NULL;
		for (size_t k = 0; applied[i] && rc == 0 && k < sh->n_cols; k++)
			if (sh->competence[k] && r->cells[k][0])
				rc = store_assessment_put(st, id, pp->list[r->person].uuid, column_id(cf, sh->header[k]),
							  (int)strtol(r->cells[k], NULL, 10), date);
		free(date);
	}
	if (rc == 0 && store_commit(st) < 0)
		rc = -1;
	store_close(st);
	return rc == 0 ? id : -1;
}

/* Apply (or print) the change of every good row; applied[i] says which rows went in. */
static void apply_rows(dir *d, const struct conf *cf, struct sheet *sh, const struct people *pp,
		       FILE *ldif, int *applied, struct assess_result *res)
{
	for (size_t i = 0; i < sh->n_rows; i++) {
		const struct row *r = &sh->rows[i];
		const struct person *p;
		struct change c;
		if (r->bad)
			continue;
		p = &pp->list[r->person];
		plan_row(sh, r, p, cf, &c);
		if (c.n == 0) {
			res->unchanged++;
			applied[i] = 1;
		} else if (ldif) {
			dir_ldif_change(ldif, p->dn, "modify", c.mods, c.n);
			res->changed++;
		} else if (dir_modify(d, p->dn, c.mods, c.n) == 0) {
			res->changed++;
			applied[i] = 1;
		} else {
			report(sh, r->line, "%s: the server refused the change (see above)", p->dn);
			res->failed++;
		}
		change_clear(&c);
	}
}

/* Free the sheet and the people. */
static void release(struct sheet *sh, struct people *pp)
{
	for (size_t i = 0; i < sh->n_rows; i++)
		dir_values_free(sh->rows[i].cells);
	free(sh->rows);
	dir_values_free(sh->header);
	free(sh->competence);
	for (size_t i = 0; i < pp->n; i++) {
		free(pp->list[i].dn);
		free(pp->list[i].uuid);
		free(pp->list[i].assessed);
		dir_values_free(pp->list[i].values);
	}
	free(pp->list);
	strmap_free(pp->by_key);
}

enum assess_outcome assess_import(const struct conf *cf, const struct assess_opts *opts, struct assess_result *res)
{
	struct sheet sh = {.path = opts->path};
	struct people pp = {0};
	enum assess_outcome out = ASSESS_FAILED;
	int *applied = NULL;
	dir *d = NULL;
	memset(res, 0, sizeof(*res));
	if (read_sheet(&sh, cf, opts->key, res) < 0 || dir_open(cf, &d) < 0 ||
	    read_people(d, cf, sh.header[sh.key], &pp) < 0)
		goto done;
	for (size_t i = 0; i < sh.n_rows; i++) {
		if (!sh.rows[i].bad)
			check_row(&sh, &sh.rows[i], &pp, cf);
		res->bad += sh.rows[i].bad;
	}
	print_problems(&sh);
	if (opts->strict && (res->bad || sh.header_bad)) {
		fprintf(stderr, "%s: %ld bad rows%s; --strict: nothing imported\n", sh.path, res->bad,
			sh.header_bad ? " and unknown columns" : "");
		out = ASSESS_BAD_ROWS;
		goto done;
	}
	applied = xcalloc(sh.n_rows + 1, sizeof(*applied));
	apply_rows(d, cf, &sh, &pp, opts->ldif, applied, res);
	if (!opts->ldif && (res->import = record(cf, &sh, &pp, applied, res)) < 0) {
		log_err("%s: the import was applied but could not be recorded in the state database", cf->state_db);
		res->import = 0;
		goto done;
	}
	out = res->failed ? ASSESS_FAILED : res->bad || sh.header_bad ? ASSESS_BAD_ROWS : ASSESS_OK;
done:
	print_problems(&sh);
	free(applied);
	release(&sh, &pp);
	dir_close(d);
	return out;
}
