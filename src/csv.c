/*
 * The CSV reader: a small state machine over bytes. Fields are collected in
 * one growing buffer and split at the end of each record.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "util.h"

struct csv {
	FILE *fp;
	long line;               /* line of the next byte */
	int started;             /* past the byte order mark check */
	struct sbuf field;       /* the field being read */
	char **fields;
	size_t n, cap;
};

struct csv *csv_open(FILE *fp)
{
	struct csv *c = xcalloc(1, sizeof(*c));
	c->fp = fp;
	c->line = 1;
	return c;
}

/* Forget the fields of the previous record. */
static void clear_fields(struct csv *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->fields[i]);
	c->n = 0;
}

void csv_close(struct csv *c)
{
	if (!c)
		return;
	clear_fields(c);
	free(c->fields);
	sbuf_free(&c->field);
	free(c);
}

/* End the current field and keep it. */
static void end_field(struct csv *c)
{
	c->fields = xgrow(c->fields, &c->cap, c->n + 1, sizeof(*c->fields));
	c->fields[c->n++] = sbuf_take(&c->field);
}

/* Next byte, counting lines; CRLF comes back as one '\n'. */
static int get(struct csv *c)
{
	int ch = getc(c->fp);
	if (ch == '\r') {
		int next = getc(c->fp);
		if (next != '\n' && next != EOF)
			ungetc(next, c->fp);
		ch = '\n';
	}
	if (ch == '\n')
		c->line++;
	return ch;
}

/* Skip a UTF-8 byte order mark at the very start. */
static void skip_bom(struct csv *c)
{
	int a = getc(c->fp), b, d;
	c->started = 1;
	if (a != 0xef) {
		if (a != EOF)
			ungetc(a, c->fp);
		return;
	}
	b = getc(c->fp);
	d = getc(c->fp);
	if (b == 0xbb && d == 0xbf)
		return;
	/* not a BOM: only one byte can be pushed back, so keep what we read as field text */
	sbuf_addf(&c->field, "%c", a);
	if (b != EOF)
		sbuf_addf(&c->field, "%c", b);
	if (d != EOF)
		ungetc(d, c->fp);
}

/* After a quoting error: drop the rest of the line. */
static void skip_line(struct csv *c)
{
	int ch;
	while ((ch = get(c)) != EOF && ch != '\n')
		;
}

/*
 * Read a quoted field's body after its opening quote. Returns the separator
 * that ends the field (',', '\n' or EOF), or -2 on broken quoting.
 */
static int quoted(struct csv *c, const char **error)
{
	for (;;) {
		int ch = get(c);
		if (ch == EOF) {
			*error = "a quoted field is not closed before the end of the file";
			return -2;
		}
		if (ch != '"') {
			sbuf_addf(&c->field, "%c", ch);
			continue;
		}
		ch = get(c);
		if (ch == '"') {
			sbuf_add(&c->field, "\"");
			continue;
		}
		if (ch == ',' || ch == '\n' || ch == EOF)
			return ch;
		*error = "text after the closing quote of a field";
		skip_line(c);
		return -2;
	}
}

int csv_next(struct csv *c, char ***fields, size_t *n, long *line, const char **error)
{
	int ch, at_start = 1;
	clear_fields(c);
	sbuf_free(&c->field);
	if (!c->started)
		skip_bom(c);
	*line = c->line;
	for (;;) {
		ch = get(c);
		if (ch == EOF && at_start && c->n == 0 && c->field.len == 0)
			return 0;
		if (ch == '"' && c->field.len == 0 && (ch = quoted(c, error)) == -2) {
			sbuf_free(&c->field);
			return -1;
		}
		if (ch == '"') {
			*error = "a quote inside an unquoted field";
			skip_line(c);
			sbuf_free(&c->field);
			return -1;
		}
		if (ch == ',' || ch == '\n' || ch == EOF) {
			end_field(c);
			if (ch == ',') {
				at_start = 0;
				continue;
			}
			*fields = c->fields;
			*n = c->n;
			return 1;
		}
		sbuf_addf(&c->field, "%c", ch);
		at_start = 0;
	}
}
